// Runs a fuzz target without libFuzzer (any compiler): every file of the corpus directories
// given, then --random N inputs from a seeded generator. This is the short run of `make test`;
// `make fuzz` runs the same target under libFuzzer (clang), which finds the inputs kept in the
// corpus.
//   <target>_replay [--random N] [--seed S] CORPUS_DIR...
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

int main(int argc, char** argv) {
    long random_inputs = 0;
    std::uint32_t seed = 20261207;
    std::size_t files = 0;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--random" && i + 1 < argc) {
            random_inputs = std::atol(argv[++i]);
        } else if (arg == "--seed" && i + 1 < argc) {
            seed = static_cast<std::uint32_t>(std::atol(argv[++i]));
        } else {
            for (const auto& entry : std::filesystem::directory_iterator(arg)) {
                std::ifstream in(entry.path(), std::ios::binary);
                const std::vector<char> bytes{std::istreambuf_iterator<char>(in), {}};
                LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                       bytes.size());
                ++files;
            }
        }
    }
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> length(1, 512), byte(0, 255);
    std::vector<std::uint8_t> input;
    for (long n = 0; n < random_inputs; ++n) {
        input.resize(static_cast<std::size_t>(length(rng)));
        for (auto& b : input)
            b = static_cast<std::uint8_t>(byte(rng));
        LLVMFuzzerTestOneInput(input.data(), input.size());
    }
    std::printf("%zu corpus inputs and %ld random inputs: no difference, no crash\n", files,
                random_inputs);
}
