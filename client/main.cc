// sieve: the client CLI (client/cli.h). Exit codes: client/exit_codes.h.
#include "client/cli.h"

int main(int argc, char** argv) { return sieve::RunCli(argc, argv, nullptr); }
