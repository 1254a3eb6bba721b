#!/usr/bin/env bash
# check_install.sh SOURCE_DIR WORK_DIR CXX
# Installs aio into a scratch prefix, then builds a consumer against it twice: with CMake's
# find_package(aio) and with pkg-config. Also builds aio as a subdirectory of another project.
set -euo pipefail
src=$1 work=$2 cxx=$3
rm -rf "$work"
mkdir -p "$work"
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)

cmake -S "$src" -B "$work/aio" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER="$cxx" \
      -DAIO_BUILD_TESTS=OFF -DAIO_BUILD_EXAMPLES=OFF -DAIO_BUILD_BENCH=OFF \
      -DCMAKE_INSTALL_PREFIX="$work/prefix" "${launcher[@]}" >/dev/null
cmake --build "$work/aio" >/dev/null
cmake --install "$work/aio" >/dev/null
test ! -e "$work/prefix/lib/libaio.a" || { echo "installed a file named libaio" >&2; exit 1; }

cmake -S "$src/tests/consumer" -B "$work/consumer" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" \
      -DCMAKE_PREFIX_PATH="$work/prefix" "${launcher[@]}" >/dev/null
cmake --build "$work/consumer" >/dev/null
"$work/consumer/consumer"

PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig" "$cxx" "$src/tests/consumer/main.cpp" \
    $(PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig" pkg-config --cflags --libs aiocpp) -o "$work/pc-consumer"
"$work/pc-consumer"

mkdir -p "$work/sub"
cat > "$work/sub/CMakeLists.txt" <<CML
cmake_minimum_required(VERSION 3.25)
project(aio_sub CXX)
set(CMAKE_CXX_STANDARD 20)
add_subdirectory("$src" aio)
add_executable(consumer "$src/tests/consumer/main.cpp")
target_link_libraries(consumer PRIVATE aio::aio)
CML
cmake -S "$work/sub" -B "$work/sub/build" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" "${launcher[@]}" >/dev/null
cmake --build "$work/sub/build" --target consumer >/dev/null
"$work/sub/build/consumer"
