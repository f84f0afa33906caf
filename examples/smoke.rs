use decdtw::*;
fn main() {
    let n = 512;
    let d = 16;
    let mut s = 1u64;
    let mut rnd = || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((s >> 11) as f64 / (1u64 << 53) as f64) - 0.5
    };
    let mut walk = |n: usize| {
        let mut v = vec![0.0; n * d];
        for i in 1..n {
            for k in 0..d {
                v[i * d + k] = v[(i - 1) * d + k] + rnd();
            }
        }
        v
    };
    let x = Signal::uniform(walk(n), d).unwrap();
    let y = Signal::uniform(walk(n), d).unwrap();
    let p = Problem::builder(x, y).lambda(0.1).build().unwrap();
    for k in Kernel::ALL {
        let t = std::time::Instant::now();
        let o = DpOptions {
            levels: Some(n + 1),
            kernel: k,
            ..Default::default()
        };
        let sol = solve(&p, &o).unwrap();
        println!(
            "{:?} {:?} {} {:?}",
            k,
            t.elapsed(),
            sol.objective,
            sol.pass_objectives
        );
    }
}
