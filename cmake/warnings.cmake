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

# stackrun_component(<lib> TESTS <test-binary> LABEL unit|integration
#                    [PUBLIC libs...] [PRIVATE libs...] [SOURCES extra...])
# One static library per directory: every *.cpp beside the CMakeLists except *_test.cpp,
# which form the component's gtest binary (tests live beside the code they test).
function(stackrun_component lib)
  cmake_parse_arguments(C "" "TESTS;LABEL" "PUBLIC;PRIVATE;SOURCES" ${ARGN})
  file(GLOB all CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  set(src ${all})
  list(FILTER src EXCLUDE REGEX "_test\\.cpp$")
  set(tests ${all})
  list(FILTER tests INCLUDE REGEX "_test\\.cpp$")
  add_library(${lib} STATIC ${src} ${C_SOURCES})
  target_include_directories(${lib} PUBLIC ${CMAKE_SOURCE_DIR})
  target_link_libraries(${lib} PUBLIC ${C_PUBLIC} PRIVATE ${C_PRIVATE} stackrun_warnings stackrun_sanitizers)
  if(tests)
    add_executable(${C_TESTS} ${tests})
    target_link_libraries(${C_TESTS} PRIVATE ${lib} stackrun_test_support GTest::gtest_main GTest::gmock
                          stackrun_warnings stackrun_sanitizers)
    target_compile_definitions(${C_TESTS} PRIVATE
      STACKRUN_DATA_DIR="${STACKRUN_DATA_DIR}" STACKRUN_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
    gtest_discover_tests(${C_TESTS} PROPERTIES LABELS ${C_LABEL} DISCOVERY_TIMEOUT 60)
  endif()
endfunction()
