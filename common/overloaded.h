// Overloaded: a visitor built from lambdas, for std::visit over a variant (one lambda per
// alternative):  std::visit(Overloaded{[](const A&) {...}, [](const B&) {...}}, v);
#pragma once

namespace sieve {

template <typename... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};

}  // namespace sieve
