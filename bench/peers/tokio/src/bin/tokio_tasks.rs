// bench/tasks_compare's Tokio side, on the current_thread runtime: the same measurements and
// output lines as bench/core_bench.cpp and bench/peers/asyncio_core.py.
//   tokio_tasks spawn|spawn_all|sleepers|pingpong N
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

fn status_kb(field: &str) -> i64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(-1)
}

async fn trivial(i: u64) -> u64 {
    i
}

fn per(elapsed: Duration, n: u64) -> f64 {
    elapsed.as_nanos() as f64 / n as f64
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: u64 = args[2].parse().unwrap();
    // Measured inside a spawned task, as a server's work runs: the block_on future itself is
    // polled on a slower path (its wake-ups go through the driver).
    tokio::spawn(run(args[1].clone(), n)).await.unwrap();
}

async fn run(mode: String, n: u64) {
    match mode.as_str() {
        "spawn" => {
            let t0 = Instant::now();
            let mut total = 0;
            for _ in 0..n {
                total += tokio::spawn(trivial(1)).await.unwrap();
            }
            println!("spawn n={n} ns_per_task={:.1} check={total}", per(t0.elapsed(), n));
        }
        "spawn_all" => {
            let t0 = Instant::now();
            let handles: Vec<_> = (0..n).map(|_| tokio::spawn(trivial(1))).collect();
            let mut total = 0;
            for h in handles {
                total += h.await.unwrap();
            }
            println!("spawn_all n={n} ns_per_task={:.1} check={total}", per(t0.elapsed(), n));
        }
        "sleepers" => {
            tokio::task::yield_now().await;
            let before = status_kb("VmRSS:");
            let handles: Vec<_> = (0..n)
                .map(|_| tokio::spawn(tokio::time::sleep(Duration::from_secs(1))))
                .collect();
            tokio::time::sleep(Duration::from_millis(100)).await;
            let peak = status_kb("VmHWM:");
            for h in handles {
                h.await.unwrap();
            }
            println!(
                "sleepers n={n} bytes_per_task={:.1} rss_before_kb={before} peak_kb={peak}",
                (peak - before) as f64 * 1024.0 / n as f64
            );
        }
        "pingpong" => {
            let (there_tx, mut there_rx) = mpsc::channel::<u64>(1);
            let (back_tx, mut back_rx) = mpsc::channel::<u64>(1);
            let other = tokio::spawn(async move {
                for _ in 0..n {
                    let v = there_rx.recv().await.unwrap();
                    back_tx.send(v + 1).await.unwrap();
                }
            });
            let t0 = Instant::now();
            let mut value = 0;
            for _ in 0..n {
                there_tx.send(value).await.unwrap();
                value = back_rx.recv().await.unwrap();
            }
            let elapsed = t0.elapsed();
            other.await.unwrap();
            println!("pingpong n={n} ns_per_round_trip={:.1} check={value}", per(elapsed, n));
        }
        _ => panic!("unknown mode {mode}"),
    }
}
