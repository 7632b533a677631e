//! `sqlx::migrate!` embeds the migration folders when this crate compiles; without this, a new
//! migration file left the crate as it was and the binary silently ran without it.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
