//! Tests of the vector index (flat and HNSW, float16 and int8, widening).

use super::*;

pub(super) fn unit(seed: u64, dim: usize) -> Vec<f32> {
    // A small deterministic generator (xorshift), normalised.
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let v: Vec<f32> = (0..dim)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % 2000) as f32 / 1000.0 - 1.0
        })
        .collect();
    let n = dot(&v, &v).sqrt();
    v.into_iter().map(|c| c / n).collect()
}

/// An int8 graph above 100 vectors.
pub(super) fn int8_config() -> VectorConfig {
    VectorConfig {
        hnsw_threshold: 100,
        quantization: Quantization::I8,
        ..VectorConfig::default()
    }
}

pub(super) fn rows(range: std::ops::Range<u64>, dim: usize) -> Vec<(String, Vec<f32>)> {
    range.map(|i| (format!("p{i}"), unit(i, dim))).collect()
}

#[test]
fn an_index_holds_a_vector_to_float16_rounding_and_no_other() {
    for threshold in [usize::MAX, 10] {
        let idx = VectorIndex::new(
            16,
            VectorConfig {
                hnsw_threshold: threshold,
                ..VectorConfig::default()
            },
        );
        idx.upsert(&rows(0..50, 16)).unwrap();
        assert_eq!(idx.is_approximate(), threshold == 10);
        assert!(idx.holds("p7", &unit(7, 16)));
        assert!(!idx.holds("p7", &unit(8, 16)), "another vector");
        assert!(!idx.holds("p99", &unit(99, 16)), "another paper");
        let mut nudged = unit(7, 16);
        nudged[0] += 0.01;
        assert!(!idx.holds("p7", &nudged), "a changed vector");
    }
}

#[test]
fn dot_matches_the_plain_sum() {
    let (a, b) = (unit(1, 19), unit(2, 19));
    let plain: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
    assert!((dot(&a, &b) - plain).abs() < 1e-6);
}

#[test]
fn flat_search_finds_the_vector_itself_first() {
    let idx = VectorIndex::new(16, VectorConfig::default());
    idx.upsert(&rows(0..50, 16)).unwrap();
    assert!(!idx.is_approximate());
    let hits = idx.search(&unit(7, 16), 3, None).unwrap();
    assert_eq!(hits[0].0, "p7");
    assert!((hits[0].1 - 1.0).abs() < 1e-5);
    assert!(hits[1].1 <= hits[0].1 && hits[2].1 <= hits[1].1);
    // Filtering, replacing and removing.
    let hits = idx.search(&unit(7, 16), 1, Some(&|id| id != "p7")).unwrap();
    assert_ne!(hits[0].0, "p7");
    idx.upsert(&[("p7".into(), unit(99, 16))]).unwrap();
    assert_eq!(idx.len(), 50);
    assert_eq!(idx.search(&unit(99, 16), 1, None).unwrap()[0].0, "p7");
    idx.remove(&["p7".into(), "p0".into()]).unwrap();
    assert_eq!(idx.len(), 48);
    assert!(!idx.contains("p7"));
    assert!(
        idx.get("p49").is_some(),
        "the moved last row is still found"
    );
    assert_eq!(idx.search(&unit(49, 16), 1, None).unwrap()[0].0, "p49");
}

#[test]
fn every_id_keeps_one_slot_through_duplicates_removals_and_reuse() {
    let scratch = tempfile::tempdir().unwrap();
    for (threshold, quantization) in [
        (1_000, Quantization::F16),
        (50, Quantization::F16),
        (50, Quantization::I8),
    ] {
        let config = VectorConfig {
            hnsw_threshold: threshold,
            quantization,
            ..VectorConfig::default()
        };
        let idx = VectorIndex::new(8, config).with_scratch_dir(scratch.path());
        // A batch that names a paper twice keeps its last vector, once.
        let mut batch = rows(0..120, 8);
        batch.push(("p3".into(), unit(500, 8)));
        idx.upsert(&batch).unwrap();
        assert_eq!(idx.len(), 120, "threshold {threshold}");
        assert_eq!(idx.search(&unit(500, 8), 1, None).unwrap()[0].0, "p3");
        // Remove every third paper, then bring half of them back with new vectors.
        let gone: Vec<String> = (0..120).step_by(3).map(|i| format!("p{i}")).collect();
        idx.remove(&gone).unwrap();
        assert_eq!(idx.len(), 80);
        assert!(gone.iter().all(|id| !idx.contains(id)));
        let back: Vec<(String, Vec<f32>)> = (0..120)
            .step_by(6)
            .map(|i| (format!("p{i}"), unit(1_000 + i, 8)))
            .collect();
        idx.upsert(&back).unwrap();
        assert_eq!(idx.len(), 100);
        for (id, v) in &back {
            assert_eq!(&idx.search(v, 1, None).unwrap()[0].0, id);
        }
        for i in (1..120).filter(|i| i % 3 != 0) {
            let id = format!("p{i}");
            let got = idx.get(&id).unwrap_or_else(|| panic!("{id} lost"));
            assert!(dot(&got, &unit(i, 8)) > 0.999, "{id} has its own vector");
        }
    }
}

/// Found by the soak test: more searches at once than the graph had scratch contexts
/// (one per core) failed with "Reserve capacity ahead of searches!", a 500 on paper pages.
#[test]
fn many_searches_at_once_all_get_answers() {
    let config = VectorConfig {
        hnsw_threshold: 100,
        ..VectorConfig::default()
    };
    let idx = VectorIndex::new(16, config);
    idx.upsert(&rows(0..1000, 16)).unwrap();
    assert!(idx.is_approximate());
    let searches = contexts() * 4;
    let barrier = std::sync::Barrier::new(searches);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..searches)
            .map(|i| {
                let (idx, barrier) = (&idx, &barrier);
                s.spawn(move || {
                    barrier.wait();
                    (0..50u64)
                        .map(|q| idx.search(&unit(5_000 + q + i as u64, 16), 10, None))
                        .filter(|r| r.as_ref().map_or(true, |h| h.len() != 10))
                        .count()
                })
            })
            .collect();
        let failed: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
        assert_eq!(failed, 0, "searches without a full answer");
    });
}

/// Recall@10 of `idx` against its exact search, over the 32-dimensional queries `seeds`.
fn recall_at_10(idx: &VectorIndex, seeds: std::ops::Range<u64>) -> f64 {
    let (mut agree, mut wanted) = (0, 0);
    for q in seeds {
        let query = unit(q, 32);
        let exact: Vec<String> = idx
            .search_exact(&query, 10)
            .unwrap()
            .into_iter()
            .map(|h| h.0)
            .collect();
        let found = idx.search(&query, 10, None).unwrap();
        assert_eq!(found.len(), 10);
        agree += found.iter().filter(|h| exact.contains(&h.0)).count();
        wanted += exact.len();
    }
    agree as f64 / wanted.max(1) as f64
}

#[test]
fn the_graph_takes_over_above_the_threshold_and_keeps_recall() {
    for quantization in [Quantization::F16, Quantization::I8] {
        graph_keeps_recall(quantization);
    }
}

fn graph_keeps_recall(quantization: Quantization) {
    let config = VectorConfig {
        hnsw_threshold: 500,
        quantization,
        ..VectorConfig::default()
    };
    let idx = VectorIndex::new(32, config);
    idx.upsert(&rows(0..400, 32)).unwrap();
    assert!(!idx.is_approximate());
    idx.upsert(&rows(400..2000, 32)).unwrap();
    assert!(idx.is_approximate());
    assert_eq!(idx.len(), 2000);
    let recall = recall_at_10(&idx, 10_000..10_050);
    assert!(recall >= 0.95, "{quantization:?}: recall@10 {recall}");
    // Removal and reuse of graph slots.
    idx.remove(&["p3".into()]).unwrap();
    assert!(idx
        .search(&unit(3, 32), 5, None)
        .unwrap()
        .iter()
        .all(|h| h.0 != "p3"));
    idx.upsert(&[("new".into(), unit(3, 32))]).unwrap();
    assert_eq!(idx.search(&unit(3, 32), 1, None).unwrap()[0].0, "new");
    assert_eq!(idx.len(), 2000);
}

#[test]
fn a_search_whose_best_match_is_far_runs_again_wider() {
    for quantization in [Quantization::F16, Quantization::I8] {
        // A sparse graph searched narrowly misses neighbours of random queries.
        let config = VectorConfig {
            hnsw_threshold: 100,
            connectivity: 4,
            expansion_add: 16,
            expansion_search: 10,
            quantization,
            rescore: 10,
            widen_below: 0.0,
            wide_width: 4096,
            // Narrower than the probe: no probe.
            probe_width: 64,
            huge_pages: false,
        };
        let idx = VectorIndex::new(32, config);
        idx.upsert(&rows(0..3000, 32)).unwrap();
        let recall = |idx: &VectorIndex| recall_at_10(idx, 50_000..50_040);
        let narrow = recall(&idx);
        // Random queries in 32 dimensions are far from every vector (best cosine < 0.9).
        idx.set_widen_below(0.9);
        let widened = recall(&idx);
        assert!(
            narrow < 0.9 && widened >= 0.98,
            "{quantization:?}: recall@10 {narrow} narrow, {widened} widened"
        );
        // A query that is a stored vector is close enough: searched once, found first.
        assert_eq!(idx.search(&unit(7, 32), 1, None).unwrap()[0].0, "p7");
        idx.set_widen_below(0.0);
        assert_eq!(recall(&idx), narrow, "{quantization:?}: off again");
    }
}

#[test]
fn a_probe_sends_far_queries_straight_to_the_wide_search() {
    for quantization in [Quantization::F16, Quantization::I8] {
        let config = |probe_width| VectorConfig {
            hnsw_threshold: 100,
            // Dense enough that a 32-wide probe finds a stored vector itself (a sparser graph
            // can miss it, and then sends a near query to the wide walk: slower, not wrong).
            connectivity: 16,
            expansion_add: 64,
            expansion_search: 200,
            quantization,
            rescore: 10,
            widen_below: 0.9,
            wide_width: 1000,
            probe_width,
            huge_pages: false,
        };
        let walked = |idx: &VectorIndex, query: &[f32]| {
            let before = idx.walked();
            let hits = idx.search(query, 10, None).unwrap();
            (idx.walked() - before, hits)
        };
        let probed = VectorIndex::new(32, config(32));
        probed.upsert(&rows(0..3000, 32)).unwrap();
        // A random query is far (best cosine < 0.9): the probe, then the wide walk only.
        let far = unit(50_000, 32);
        let (width, hits) = walked(&probed, &far);
        assert_eq!(width, 32 + 1000, "{quantization:?}");
        assert_eq!(hits.len(), 10);
        // A stored vector is near: the probe, then the normal walk, which finds it.
        let (width, hits) = walked(&probed, &unit(7, 32));
        assert_eq!(width, 32 + 200, "{quantization:?}");
        assert_eq!(hits[0].0, "p7");
        // Without a probe the far query walks the normal width first.
        let unprobed = VectorIndex::new(32, config(0));
        unprobed.upsert(&rows(0..3000, 32)).unwrap();
        assert_eq!(walked(&unprobed, &far).0, 200 + 1000, "{quantization:?}");
        // The probe costs no recall: a far query gets exactly the wide walk's answer (the
        // same graph searched 1000 wide without widening; two graphs built on several threads
        // differ, so they are not compared).
        let answers = |idx: &VectorIndex| {
            (50_000..50_040)
                .map(|q| idx.search(&unit(q, 32), 10, None).unwrap())
                .collect::<Vec<_>>()
        };
        let probed_answers = answers(&probed);
        probed.set_widen_below(0.0);
        probed.set_expansion_search(1000);
        assert_eq!(answers(&probed), probed_answers, "{quantization:?}");
    }
}

#[test]
fn an_int8_graph_ranks_its_candidates_on_float16_rows_kept_in_a_scratch_file() {
    let scratch = tempfile::tempdir().unwrap();
    let config = int8_config();
    let idx = VectorIndex::new(48, config).with_scratch_dir(scratch.path());
    idx.upsert(&rows(0..3000, 48)).unwrap();
    assert!(idx.is_approximate());
    assert_eq!(idx.file_bytes(), 3000 * 48 * 2, "rows are in the file");
    let in_memory = VectorIndex::new(48, config);
    in_memory.upsert(&rows(0..3000, 48)).unwrap();
    assert_eq!(in_memory.file_bytes(), 0);
    assert!(
        in_memory.memory_bytes() >= idx.memory_bytes() + 3000 * 48 * 2,
        "rows in memory are counted as memory: {} against {}",
        in_memory.memory_bytes(),
        idx.memory_bytes()
    );
    // The scratch file is unlinked: nothing to clean up after a crash.
    assert_eq!(std::fs::read_dir(scratch.path()).unwrap().count(), 0);
    // Scores are exact to float16 rounding, not int8 estimates.
    for q in [5u64, 1234, 2999] {
        let hits = idx.search(&unit(q, 48), 3, None).unwrap();
        assert_eq!(hits[0].0, format!("p{q}"));
        assert!((hits[0].1 - 1.0).abs() < 2e-3, "{}", hits[0].1);
        let exact = dot(&unit(q, 48), &unit(q + 1, 48));
        let got = idx.search(&unit(q + 1, 48), 3000, None).unwrap();
        let s = got.iter().find(|h| h.0 == format!("p{q}")).unwrap().1;
        assert!((s - exact).abs() < 2e-3, "{s} against {exact}");
        assert!(idx.holds(&format!("p{q}"), &unit(q, 48)));
    }
    // Exact search over the rows agrees with brute force over the float vectors.
    let query = unit(77_777, 48);
    let mut want: Vec<(f32, String)> = (0..3000u64)
        .map(|i| (dot(&query, &unit(i, 48)), format!("p{i}")))
        .collect();
    want.sort_by(|a, b| b.0.total_cmp(&a.0));
    let got: Vec<String> = idx
        .search_exact(&query, 5)
        .unwrap()
        .into_iter()
        .map(|h| h.0)
        .collect();
    let want: Vec<String> = want.into_iter().take(5).map(|h| h.1).collect();
    assert_eq!(got, want);
    // Filters apply to the graph's candidates.
    let hits = idx
        .search(&unit(5, 48), 5, Some(&|id: &str| id.ends_with('7')))
        .unwrap();
    assert_eq!(hits.len(), 5);
    assert!(hits.iter().all(|h| h.0.ends_with('7')));
}

#[test]
fn wrong_dimensions_are_refused() {
    let idx = VectorIndex::new(8, VectorConfig::default());
    assert!(idx.upsert(&[("x".into(), vec![1.0; 3])]).is_err());
    assert!(idx.search(&[1.0; 3], 5, None).unwrap().is_empty());
}
