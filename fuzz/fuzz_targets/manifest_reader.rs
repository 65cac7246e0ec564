//! Any bytes in a batch's `batch.toml`: a manifest that passes its checks, or an error
//! that names the file; never a panic.
#![no_main]

use std::path::Path;

use ledgerline_schemas::manifest::BatchManifest;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let path = Path::new("/batches/b/batch.toml");
    match BatchManifest::from_bytes(bytes, path) {
        Ok(m) => {
            assert!(!m.batch_id.trim().is_empty());
            assert!((50..=2400).contains(&m.scan_dpi));
        }
        Err(e) => assert!(e.to_string().starts_with("/batches/b/batch.toml: "), "{e}"),
    }
});
