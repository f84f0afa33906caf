//! Runtime choice of the instruction set for the DP's hot loops.
//!
//! [`avx2_dispatch!`] compiles a function twice, for the baseline target and with AVX2 enabled,
//! and picks the AVX2 copy when the CPU has it. AVX2 gives the three-operand VEX encoding and
//! 4-wide vectors; FMA stays off, so both copies round every operation the same way and return
//! bit-identical results (checked by `dp::tests::avx2_copy_is_bit_identical`).

/// Whether the AVX2 copies run: the CPU has AVX2 and (in tests) the thread has not asked for
/// the baseline.
#[inline]
pub(crate) fn avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2") && !baseline_forced()
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

#[cfg(not(test))]
#[inline(always)]
fn baseline_forced() -> bool {
    false
}

#[cfg(test)]
thread_local! {
    static BASELINE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

#[cfg(test)]
fn baseline_forced() -> bool {
    BASELINE.with(|b| b.get())
}

/// Runs `f` with the AVX2 copies switched off on this thread (tests compare the two copies).
#[cfg(test)]
pub(crate) fn with_baseline<R>(f: impl FnOnce() -> R) -> R {
    BASELINE.with(|b| b.set(true));
    let out = f();
    BASELINE.with(|b| b.set(false));
    out
}

/// Defines `fn name(args) body` twice over, once compiled with AVX2, and calls the AVX2 copy
/// when [`avx2`] says so. The body is inlined into both; what it calls should be `#[inline]`.
macro_rules! avx2_dispatch {
    ($(#[$meta:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $body:block) => {
        $(#[$meta])*
        $vis fn $name($($arg: $ty),*) {
            #[inline(always)]
            fn body($($arg: $ty),*) $body
            if $crate::dp::cpu::avx2() {
                #[cfg(target_arch = "x86_64")]
                {
                    #[target_feature(enable = "avx2")]
                    fn with_avx2($($arg: $ty),*) {
                        body($($arg),*)
                    }
                    // SAFETY: the CPU has AVX2 (checked at run time just above).
                    return unsafe { with_avx2($($arg),*) };
                }
            }
            body($($arg),*)
        }
    };
}
pub(crate) use avx2_dispatch;
