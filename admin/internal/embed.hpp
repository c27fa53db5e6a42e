#pragma once

// Files built into the binary with the assembler's .incbin: no generated
// source, nothing for the compiler to parse, and CMake names them as the
// object's dependencies (OBJECT_DEPENDS), so a change rebuilds it.
// HISHAMOS_EMBED(name, "path") defines `static std::string_view name()`.

#include <cstddef>
#include <string_view>

#define HISHAMOS_EMBED(name, path)                                             \
  asm(".section .rodata\n"                                                     \
      ".balign 16\n"                                                           \
      ".hidden " #name "_begin\n"                                              \
      ".hidden " #name "_end\n" #name "_begin:\n"                              \
      ".incbin \"" path "\"\n" #name "_end:\n"                                 \
      ".byte 0\n"                                                              \
      ".previous\n");                                                          \
  extern "C" const char name##_begin[];                                        \
  extern "C" const char name##_end[];                                          \
  static std::string_view name() {                                             \
    return {name##_begin, static_cast<size_t>(name##_end - name##_begin)};     \
  }
