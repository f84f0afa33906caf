//! The candidate values of one knot: a uniform grid inside the knot's feasible interval.

use super::cpu::avx2_dispatch;

/// Grid of one knot: `v_j = clamp(anchor + (k0 + j)·step, lo, hi)` for `j < count`.
///
/// The first pass anchors at `lo`; a refinement pass anchors at the previous solution, so
/// that value is on the new grid exactly and the refined optimum cannot be worse.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Layer {
    anchor: f64,
    step: f64,
    k0: i64,
    count: usize,
    lo: f64,
    hi: f64,
}

impl Layer {
    /// `levels` points spread uniformly over `[lo, hi]` (one point when `lo == hi`).
    pub fn uniform(lo: f64, hi: f64, levels: usize) -> Self {
        if hi <= lo || levels < 2 {
            return Self::point(lo);
        }
        Self {
            anchor: lo,
            step: (hi - lo) / (levels - 1) as f64,
            k0: 0,
            count: levels,
            lo,
            hi,
        }
    }

    /// At most `levels` points with spacing `width/(levels − 1)`, centred on `center` (which is
    /// always one of them) and clipped to `[lo, hi]`.
    pub fn around(center: f64, width: f64, lo: f64, hi: f64, levels: usize) -> Self {
        let center = center.clamp(lo, hi);
        if hi <= lo || width <= 0.0 || levels < 2 {
            return Self::point(center);
        }
        let step = width / (levels - 1) as f64;
        let half = ((levels - 1) / 2) as i64;
        // A point within 1e-9 of a step outside the interval is kept (and clamped onto the
        // bound), so that which points exist does not hinge on the rounding of `(lo − c)/step`.
        let k_min = (((lo - center) / step - 1e-9).ceil() as i64).max(-half);
        let k_max = (((hi - center) / step + 1e-9).floor() as i64).min(levels as i64 - 1 - half);
        Self {
            anchor: center,
            step,
            k0: k_min,
            count: (k_max - k_min + 1) as usize,
            lo,
            hi,
        }
    }

    fn point(v: f64) -> Self {
        Self {
            anchor: v,
            step: 0.0,
            k0: 0,
            count: 1,
            lo: v,
            hi: v,
        }
    }

    /// Number of grid values.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Always false: a layer has at least one value.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Value `v_j` (non-decreasing in `j`).
    pub fn value(&self, j: usize) -> f64 {
        self.at((self.k0 + j as i64) as f64)
    }

    /// All values, written into `out` (cleared first).
    pub fn fill(&self, out: &mut Vec<f64>) {
        fill_layer(self, out)
    }

    /// `clamp(anchor + k·step, lo, hi)` at the step index `k` (a comparison and a select per
    /// bound: the value is never NaN, so NaN-aware `max`/`min` would only cost instructions).
    #[inline(always)]
    fn at(&self, k: f64) -> f64 {
        let v = self.anchor + k * self.step;
        let v = if v < self.lo { self.lo } else { v };
        if v > self.hi {
            self.hi
        } else {
            v
        }
    }
}

avx2_dispatch! {
/// [`Layer::fill`].
fn fill_layer(layer: &Layer, out: &mut Vec<f64>) {
    out.clear();
    // The float step index is exact (|k| < 2⁵³), so this equals `value(j)` bit for bit; `j`
    // goes through u32 (`count ≤ u32::MAX`, checked with the memory limit) because AVX2
    // converts 32-bit integers to floats in one instruction and 64-bit ones not at all.
    let k0 = layer.k0 as f64;
    debug_assert!(layer.count <= u32::MAX as usize);
    out.extend((0..layer.count as u32).map(|j| layer.at(k0 + f64::from(j))));
}
}
