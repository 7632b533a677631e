//! Replays every kept fuzzing input (`fuzz/corpus/<target>/` and `fuzz/regressions/<target>/`)
//! through its target on the stable toolchain: what the fuzzer found once stays fixed.

use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

fn inputs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn every_kept_input_passes_its_target() {
    let root = fuzz_dir();
    let mut total = 0;
    for (name, target) in dp_fuzzing::TARGETS {
        let corpus = inputs(&root.join("corpus").join(name));
        assert!(
            !corpus.is_empty(),
            "fuzz/corpus/{name} has no inputs: every target keeps a seed corpus"
        );
        let regressions = inputs(&root.join("regressions").join(name));
        for file in corpus.iter().chain(&regressions) {
            let data = std::fs::read(file).unwrap();
            let outcome = std::panic::catch_unwind(|| target(&data));
            assert!(outcome.is_ok(), "{name} fails on {}", file.display());
            total += 1;
        }
    }
    println!("replayed {total} inputs");
}

#[test]
fn every_target_has_a_cargo_fuzz_entry() {
    let manifest = std::fs::read_to_string(fuzz_dir().join("Cargo.toml")).unwrap();
    for (name, _) in dp_fuzzing::TARGETS {
        assert!(
            manifest.contains(&format!("name = \"{name}\"")),
            "fuzz/Cargo.toml has no [[bin]] {name}"
        );
        let src = fuzz_dir().join(format!("fuzz_targets/{name}.rs"));
        let body = std::fs::read_to_string(&src).unwrap();
        assert!(
            body.contains(&format!("dp_fuzzing::{name}(")),
            "{} calls dp_fuzzing::{name}",
            src.display()
        );
    }
}
