//! Semantic search as a user runs it: `import-vectors` (and its refusals), `embed` (resumable
//! after a kill), and `search --mode hybrid|semantic` finding a paper by meaning.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::{model_dir, shared_data};

use crate::{bin, database_url};

/// `bin` with the test model.
fn with_model(data: &Path, model: &Path) -> Command {
    let mut c = bin(data);
    c.env("DAILYPAPERS_SEARCH__MODEL_DIR", model);
    c
}

fn ok(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn fails(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(!out.status.success(), "expected a failure");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn vector_count(data: &Path, model: &str) -> i64 {
    let url = database_url(data);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let store = dp_store::open(&url).await.unwrap();
        let n = store.vector_stats(model).await.unwrap().0;
        store.close().await;
        n
    })
}

#[test]
fn vectors_embedding_and_meaningful_search() {
    let (Some(shared), Some(model)) = (shared_data(), model_dir()) else {
        return;
    };
    let name = model.file_name().unwrap().to_str().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    // The Hugging Face lists only: 9,877 papers.
    ok(bin(data).args(["import"]).arg(shared.join("hf-daily/days")));

    // Embedding is resumable: kill it after its first batches, then go on.
    let mut child = with_model(data, &model)
        .args(["embed", "--batch", "2"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let mut before = 0;
    while before < 4 && started.elapsed() < Duration::from_secs(120) {
        std::thread::sleep(Duration::from_millis(200));
        before = vector_count(data, &name);
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(before >= 4, "the first batches were stored before the kill");
    let before = vector_count(data, &name);
    let out = ok(with_model(data, &model).args(["embed", "--limit", "3"]));
    assert!(out.contains("embedded 3 papers"), "{out}");
    assert_eq!(vector_count(data, &name), before + 3);

    // Refusals leave the store as it was.
    let vectors = shared.join("vectors/all-MiniLM-L6-v2.f16");
    let copy = dir.path().join("other-model.f16");
    std::fs::copy(&vectors, &copy).unwrap();
    std::fs::copy(shared.join("vectors/ids.txt"), dir.path().join("ids.txt")).unwrap();
    let err = fails(with_model(data, &model).arg("import-vectors").arg(&copy));
    assert!(err.contains("from model \"other-model\""), "{err}");
    let short = dir.path().join(format!("{name}.f16"));
    std::fs::write(&short, vec![0u8; 1000]).unwrap();
    let err = fails(with_model(data, &model).arg("import-vectors").arg(&short));
    assert!(err.contains("is not 80317 rows"), "{err}");
    // Right size for 3 ids but 2 components per row.
    std::fs::write(
        dir.path().join("three.txt"),
        "2407.09435\n2406.00001\n2406.00002\n",
    )
    .unwrap();
    std::fs::write(&short, vec![0u8; 3 * 2 * 2]).unwrap();
    let err = fails(
        with_model(data, &model)
            .arg("import-vectors")
            .arg(&short)
            .arg("--ids")
            .arg(dir.path().join("three.txt")),
    );
    assert!(err.contains("makes 384-dimensional vectors"), "{err}");
    // 384 zeros per row: not unit length.
    std::fs::write(&short, vec![0u8; 3 * 384 * 2]).unwrap();
    let err = fails(
        with_model(data, &model)
            .arg("import-vectors")
            .arg(&short)
            .arg("--ids")
            .arg(dir.path().join("three.txt")),
    );
    assert!(err.contains("not 1"), "{err}");
    assert_eq!(vector_count(data, &name), before + 3);

    // The reference vectors: every paper of the store gets one, the rest are skipped.
    let out = ok(with_model(data, &model).arg("import-vectors").arg(&vectors));
    assert!(
        out.contains("imported 9877 vectors of all-MiniLM-L6-v2 (384 dimensions)"),
        "{out}"
    );
    assert!(
        out.contains("70440 ids not in the store were skipped"),
        "{out}"
    );
    assert_eq!(vector_count(data, &name), 9877);
    let out = ok(with_model(data, &model).args(["embed"]));
    assert!(out.contains("embedded 0 papers"), "{out}");

    // A query that shares few words with the paper (MUSCLE, 2407.09435: "model updates ...
    // negative flips") is found by meaning.
    ok(bin(data).arg("reindex"));
    let query = "reducing negative flips when updating a model";
    for mode in ["hybrid", "semantic"] {
        let out =
            ok(with_model(data, &model).args(["search", "--mode", mode, "--limit", "5", query]));
        assert!(out.contains("2407.09435"), "{mode}: {out}");
    }
    // Filters apply to semantic candidates too: the paper is from July 2024.
    let out = ok(with_model(data, &model).args([
        "search",
        "--mode",
        "semantic",
        "--limit",
        "5",
        "from:2025-01-01",
        query,
    ]));
    assert!(!out.contains("2407.09435"), "{out}");
    assert_eq!(out.lines().count(), 5, "{out}");
    let err = fails(with_model(data, &model).args(["search", "--mode", "fuzzy", "x"]));
    assert!(err.contains("--mode"), "{err}");
}
