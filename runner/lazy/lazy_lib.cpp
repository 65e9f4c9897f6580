#include "runner/lazy/lazy_lib.hpp"

#include <dlfcn.h>

#include <map>
#include <mutex>
#include <stdexcept>
#include <string>

namespace stackrun::lazy {

void* symbol(const char* soname, const char* name) {
  static std::mutex mu;
  static std::map<std::string, void*> loaded;  // soname -> handle, never closed
  std::lock_guard lock(mu);
  void*& lib = loaded[soname];
  if (!lib) {
    lib = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
      const char* why = dlerror();
      throw std::runtime_error(std::string("cannot load ") + soname + ": " +
                               (why ? why : "unknown error") +
                               " (scripts/install-deps installs it)");
    }
  }
  dlerror();  // clear any earlier error, so a null from dlsym is told from a failure
  void* sym = dlsym(lib, name);
  if (!sym) {
    const char* why = dlerror();
    throw std::runtime_error(std::string(soname) + " has no " + name + ": " +
                             (why ? why : "null symbol"));
  }
  return sym;
}

}  // namespace stackrun::lazy
