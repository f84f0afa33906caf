// Builds the CUDA kernels for the host, to test their logic without a GPU: a launch runs the
// grid's blocks one after another, and the threads of a block as host threads that meet at a
// barrier for __syncthreads().
#pragma once
#include <barrier>
#include <cmath>
#include <functional>
#include <thread>
#include <vector>

#define __global__
#define __device__

struct dim3 {
    unsigned x = 1, y = 1, z = 1;
};

inline thread_local dim3 threadIdx, blockIdx;
inline dim3 blockDim, gridDim;
inline thread_local std::barrier<>* block_barrier = nullptr;

inline void __syncthreads() { block_barrier->arrive_and_wait(); }

using std::ceil;
using std::floor;

// kernel<<<ceil(threads / block), block>>>(args...)
template <class Kernel, class... Args>
void launch(long threads, unsigned block, Kernel kernel, Args... args) {
    gridDim.x = (unsigned)((threads + block - 1) / block);
    blockDim.x = block;
    for (unsigned b = 0; b < gridDim.x; b++) {
        std::barrier<> barrier((std::ptrdiff_t)block);
        std::vector<std::thread> team;
        for (unsigned t = 0; t < block; t++) {
            team.emplace_back([&, b, t] {
                blockIdx.x = b;
                threadIdx.x = t;
                block_barrier = &barrier;
                kernel(args...);
            });
        }
        for (auto& thread : team) thread.join();
    }
}
