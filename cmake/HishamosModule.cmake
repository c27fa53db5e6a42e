# hishamos_add_module(NAME SOURCES ... [PUBLIC_DEPS ...] [PRIVATE_DEPS ...])
# Declares the static library hishamos_<NAME>. Headers are included from the
# repository root ("model/workflow.hpp"), so the path follows the namespace.
function(hishamos_add_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(hishamos_${name} STATIC ${ARG_SOURCES})
  target_include_directories(hishamos_${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(hishamos_${name} PUBLIC ${ARG_PUBLIC_DEPS}
                        PRIVATE ${ARG_PRIVATE_DEPS})
  hishamos_warnings(hishamos_${name})
endfunction()

function(hishamos_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers)
endfunction()
