# Warning and sanitizer flags as INTERFACE targets, linked by every stackrun target.
add_library(stackrun_warnings INTERFACE)
target_compile_options(stackrun_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow=local)
if(STACKRUN_WERROR)
  target_compile_options(stackrun_warnings INTERFACE -Werror)
endif()

add_library(stackrun_sanitizers INTERFACE)
if(STACKRUN_SANITIZE STREQUAL "address")
  target_compile_options(stackrun_sanitizers INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer)
  target_link_options(stackrun_sanitizers INTERFACE -fsanitize=address,undefined)
elseif(STACKRUN_SANITIZE STREQUAL "thread")
  # -Wno-tsan: GCC 12 warns about atomic_thread_fence inside libstdc++/Asio headers.
  target_compile_options(stackrun_sanitizers INTERFACE -fsanitize=thread -Wno-tsan)
  target_link_options(stackrun_sanitizers INTERFACE -fsanitize=thread)
endif()

# stackrun_add_unit_tests(<name> <lib> SOURCES...): one gtest binary per component, label "unit".
function(stackrun_add_unit_tests name lib)
  if(NOT ARGN)
    return()
  endif()
  add_executable(${name} ${ARGN})
  target_link_libraries(${name} PRIVATE ${lib} GTest::gtest_main GTest::gmock stackrun_warnings stackrun_sanitizers)
  target_compile_definitions(${name} PRIVATE
    STACKRUN_SHARED_DIR="${STACKRUN_SHARED_DIR}" STACKRUN_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
  gtest_discover_tests(${name} PROPERTIES LABELS unit DISCOVERY_TIMEOUT 60)
endfunction()
