#pragma once
// Shared libraries loaded on first use rather than at every start of `stackrun`.
//
// Why: each shared library a binary links is mapped and relocated by the dynamic loader at
// every start, and on a VM each page fault costs ~35 us. libcurl, libgit2 and libcrypto bring
// ~40 libraries between them: ~15 ms of every `stackrun` start, paid by commands that use none
// of them (docs/performance.md, "Start-up"). stackrun links none of the three. curl.cpp,
// git2.cpp and crypto.cpp define the functions the product calls, with the signatures of the
// libraries' own headers; each finds its twin with symbol() the first time it is called and
// forwards to it.
//
// The executable does not export these definitions (no -rdynamic), so a loaded library's
// calls to its own functions still bind to itself, never back to them.
namespace stackrun::lazy {

// The address of `name` in the library `soname` (dlopen RTLD_NOW | RTLD_LOCAL, kept loaded until
// exit), loading it on the first call for that soname. Thread-safe. Throws std::runtime_error
// naming the library, the symbol and dlerror() when either cannot be found: the library is a
// package the install script installs (scripts/install-deps), so this is a broken install.
void* symbol(const char* soname, const char* name);

}  // namespace stackrun::lazy

// In a forwarding function: declares `real`, the function `name` of the library `soname`, with
// the type of the declaration in scope (the library's header), looked up once.
#define STACKRUN_LAZY_REAL(soname, name) \
  static const auto real =               \
      reinterpret_cast<decltype(&name)>(::stackrun::lazy::symbol(soname, #name))
