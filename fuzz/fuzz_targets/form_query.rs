#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| dp_fuzzing::form_query(data));
