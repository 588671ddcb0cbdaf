// What every C ABI function of the shims does with C++ exceptions: catch them, keep the message
// for this thread (read through fe_c10d_last_error, fe_optim_last_error or
// fe_activation_last_error), and return 1.
#pragma once

#include <exception>
#include <string>

namespace fe_shim {

inline thread_local std::string last_error;

template <typename F>
int guarded(F&& f) {
  try {
    f();
    return 0;
  } catch (const std::exception& e) {
    last_error = e.what();
  } catch (...) {
    last_error = "unknown C++ exception";
  }
  return 1;
}

}  // namespace fe_shim
