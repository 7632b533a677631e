//! The merge step of an upsert, shared by every backend: given a batch and the rows it touches
//! as stored, decide what each record does and which rows must be written.

use chrono::NaiveDate;
use dp_core::{FeedEntry, Outcome, Paper, Record};
use std::collections::HashMap;

/// What a batch upsert must write.
pub(crate) struct Plan {
    /// Per record, in input order.
    pub outcomes: Vec<Outcome>,
    /// Papers to insert or update, sorted by id.
    pub papers: Vec<Paper>,
    /// Feed entries to insert or update, sorted by (day, paper).
    pub entries: Vec<FeedEntry>,
}

/// The distinct bare ids of a batch, sorted.
pub(crate) fn batch_ids(records: &[Record]) -> Vec<String> {
    let mut ids: Vec<String> = records
        .iter()
        .map(|r| r.paper.id.base().to_string())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

struct Slot {
    paper: Paper,
    existed: bool,
    dirty: bool,
}

/// Merges `records` (in order) into the stored rows they touch.
///
/// Papers merge by [`Paper::merged_with`]; a feed entry is keyed by (day, paper) and replaced
/// when it differs. A record's outcome is the stronger of its paper's and its entry's.
pub(crate) fn plan(
    records: Vec<Record>,
    stored_papers: Vec<Paper>,
    stored_entries: Vec<FeedEntry>,
) -> Plan {
    let mut papers: HashMap<String, Slot> = stored_papers
        .into_iter()
        .map(|p| {
            (
                p.id.base().to_string(),
                Slot {
                    paper: p,
                    existed: true,
                    dirty: false,
                },
            )
        })
        .collect();
    let mut entries: HashMap<(NaiveDate, String), (FeedEntry, bool)> = stored_entries
        .into_iter()
        .map(|e| ((e.day, e.paper_id.base().to_string()), (e, false)))
        .collect();
    let mut outcomes = Vec::with_capacity(records.len());

    for r in records {
        let key = r.paper.id.base().to_string();
        let paper_outcome = match papers.get_mut(&key) {
            None => {
                let mut paper = r.paper;
                paper.id = paper.id.unversioned();
                papers.insert(
                    key,
                    Slot {
                        paper,
                        existed: false,
                        dirty: true,
                    },
                );
                Outcome::Inserted
            }
            Some(slot) => match slot.paper.merged_with(&r.paper) {
                Some(merged) => {
                    slot.paper = merged;
                    slot.dirty = true;
                    if slot.existed {
                        Outcome::Updated
                    } else {
                        Outcome::Inserted
                    }
                }
                None if !slot.existed => Outcome::Inserted,
                None => Outcome::Unchanged,
            },
        };
        let entry_outcome = match r.entry {
            None => Outcome::Unchanged,
            Some(mut e) => {
                e.paper_id = e.paper_id.unversioned();
                let k = (e.day, e.paper_id.base().to_string());
                match entries.get_mut(&k) {
                    Some((old, _)) if *old == e => Outcome::Unchanged,
                    Some((old, dirty)) => {
                        *old = e;
                        *dirty = true;
                        Outcome::Updated
                    }
                    None => {
                        entries.insert(k, (e, true));
                        Outcome::Inserted
                    }
                }
            }
        };
        outcomes.push(paper_outcome.combine(entry_outcome));
    }

    let mut papers: Vec<Paper> = papers
        .into_values()
        .filter(|s| s.dirty)
        .map(|s| s.paper)
        .collect();
    papers.sort_by(|a, b| a.id.cmp(&b.id));
    let mut entries: Vec<FeedEntry> = entries
        .into_values()
        .filter(|(_, d)| *d)
        .map(|(e, _)| e)
        .collect();
    entries.sort_by(|a, b| (a.day, &a.paper_id).cmp(&(b.day, &b.paper_id)));
    Plan {
        outcomes,
        papers,
        entries,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dp_core::ArxivId;

    fn rec(id: &str, title: &str) -> Record {
        Paper::new(&ArxivId::parse(id).unwrap(), title, "a").into()
    }

    #[test]
    fn outcomes_follow_input_order_and_duplicates_merge() {
        let stored = vec![rec("2501.00001v1", "old").paper];
        let p = plan(
            vec![
                rec("2501.00002", "new"),
                rec("2501.00001v2", "newer"),
                rec("2501.00001v1", "old"),
            ],
            stored,
            vec![],
        );
        assert_eq!(
            p.outcomes,
            [Outcome::Inserted, Outcome::Updated, Outcome::Unchanged]
        );
        let titles: Vec<&str> = p.papers.iter().map(|p| p.title.as_str()).collect();
        assert_eq!(titles, ["newer", "new"]);
        assert!(p.entries.is_empty());
    }
}
