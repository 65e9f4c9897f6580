#include "runner/core/verdict.hpp"

namespace stackrun::core {

std::string_view to_string(Class c) {
  switch (c) {
    case Class::success:
      return "success";
    case Class::drift:
      return "drift";
    case Class::lock:
      return "lock";
    case Class::transient:
      return "transient";
    case Class::fatal:
      return "fatal";
  }
  return "fatal";
}

std::optional<Class> class_from_string(std::string_view s) {
  for (Class c : {Class::success, Class::drift, Class::lock, Class::transient, Class::fatal})
    if (to_string(c) == s) return c;
  return std::nullopt;
}

}  // namespace stackrun::core
