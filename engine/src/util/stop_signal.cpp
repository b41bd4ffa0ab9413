#include "mcrisk/util/stop_signal.h"

#include <signal.h>

#include <atomic>
#include <cerrno>
#include <stdexcept>
#include <string>
#include <system_error>

namespace mcrisk::util {

namespace {

// Lock-free, so the handler's store is async-signal-safe (C++17 [support.signal]).
std::atomic<int> requested_stop{0};
static_assert(std::atomic<int>::is_always_lock_free, "a signal handler may only touch lock-free atomics");

extern "C" void on_stop_signal(int signal_number) { requested_stop.store(signal_number, std::memory_order_relaxed); }

}  // namespace

void install_stop_handlers() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;  // interrupted reads and writes resume: the run decides where to stop
  for (int signal_number : {SIGINT, SIGTERM}) {
    if (sigaction(signal_number, &action, nullptr) != 0) {
      throw std::runtime_error("cannot install the stop handler: " + std::generic_category().message(errno));
    }
  }
}

int stop_signal() { return requested_stop.load(std::memory_order_relaxed); }

void request_stop(int signal_number) { requested_stop.store(signal_number, std::memory_order_relaxed); }

void clear_stop_request() { requested_stop.store(0, std::memory_order_relaxed); }

}  // namespace mcrisk::util
