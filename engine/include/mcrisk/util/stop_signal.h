#pragma once
// SIGINT and SIGTERM ask a run to stop; they do not kill it. The handler only
// stores the signal's number in a lock-free atomic (all a handler may safely
// do); the run reads it between blocks of trials, stops there, writes a
// checkpoint and a partial summary, and exits with 128 + the signal's number.

#include <csignal>

namespace mcrisk::util {

//! Installs the handlers for SIGINT and SIGTERM (sigaction, SA_RESTART).
void install_stop_handlers();
//! The signal that asked the run to stop (SIGINT, SIGTERM), or 0.
int stop_signal();
//! True once a stop has been asked for (by a signal or request_stop()).
inline bool stop_requested() { return stop_signal() != 0; }
//! Asks for a stop as the handler would (for tests and the test-only trigger).
void request_stop(int signal_number);
//! Forgets a stop request (for tests that run several interrupted runs in one process).
void clear_stop_request();

}  // namespace mcrisk::util
