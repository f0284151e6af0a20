//! Criterion benches of the simulator's own speed: engine events, cache accesses, DRAM requests.
//! The same workloads back `sparsim bench`; throughput is reported per element.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn engine(c: &mut Criterion) {
    let mut g = c.benchmark_group("engine");
    let n = 2_000_000;
    g.throughput(Throughput::Elements(n));
    g.bench_function("ring_64x64_events", |b| {
        b.iter(|| sparsim::bench::engine_ring(64, 64, n))
    });
    g.finish();
}

fn cache(c: &mut Criterion) {
    let mut g = c.benchmark_group("cache");
    let n = 2_000_000;
    g.throughput(Throughput::Elements(n));
    g.bench_function("tag_array_32k_8way_accesses", |b| {
        b.iter(|| sparsim::bench::cache_tag_accesses(n))
    });
    g.finish();
}

fn dram(c: &mut Criterion) {
    let mut g = c.benchmark_group("dram");
    g.sample_size(10);
    let n = 100_000;
    g.throughput(Throughput::Elements(n));
    g.bench_function("ddr4_3200_random_requests", |b| {
        b.iter(|| sparsim::bench::dram_requests("DDR4-3200", n, 64, true))
    });
    g.bench_function("ddr4_3200_streaming_requests", |b| {
        b.iter(|| sparsim::bench::dram_requests("DDR4-3200", n, 64, false))
    });
    g.finish();
}

criterion_group!(benches, engine, cache, dram);
criterion_main!(benches);
