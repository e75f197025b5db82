#include "cli/cli.h"

int main(int argc, char** argv) { return kgp::cli::Main(argc, argv); }
