//! `batch.toml`, the batch manifest: what a folder of scanned pages is and where it came
//! from. A batch without one still runs; [`BatchManifest::inferred`] says what was assumed.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LedgerType {
    Cremation,
    Burial,
    /// Pages of both kinds; each page's kind comes from its title and headers.
    Mixed,
}

/// The years a volume covers: `2012` or `2012-2014` in TOML as `years = "2012-2014"`,
/// or a list `years = [2012, 2013]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Years {
    Range(String),
    List(Vec<u16>),
}

impl Years {
    /// The first and last year.
    pub fn span(&self) -> Result<(u16, u16), String> {
        let bad = || format!("years {self:?} must be like \"2012\" or \"2012-2014\" or [2012, 2013]");
        let (a, b) = match self {
            Years::List(v) if !v.is_empty() => (*v.iter().min().unwrap(), *v.iter().max().unwrap()),
            Years::List(_) => return Err(bad()),
            Years::Range(s) => {
                let mut parts = s.split('-').map(|p| p.trim().parse::<u16>());
                match (parts.next(), parts.next(), parts.next()) {
                    (Some(Ok(a)), None, None) => (a, a),
                    (Some(Ok(a)), Some(Ok(b)), None) => (a, b),
                    _ => return Err(bad()),
                }
            }
        };
        if a > b || a < 1900 || b > 2100 {
            return Err(bad());
        }
        Ok((a, b))
    }

    /// As the workspace stores it: the range as written (`2012-2014`), a list with commas
    /// (`2012,2013`).
    pub fn stored(&self) -> String {
        match self {
            Years::Range(s) => s.clone(),
            Years::List(v) => v.iter().map(|y| y.to_string()).collect::<Vec<_>>().join(","),
        }
    }

    /// Back from [`Years::stored`].
    pub fn from_stored(text: &str) -> Years {
        if text.contains(',') {
            Years::List(text.split(',').filter_map(|y| y.trim().parse().ok()).collect())
        } else {
            Years::Range(text.to_string())
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchManifest {
    pub batch_id: String,
    pub agency_name: String,
    pub ledger_type: LedgerType,
    pub volume: String,
    pub years: Years,
    pub scan_dpi: u32,
    /// Two-digit GB/T 2260 province code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub province: Option<String>,
    /// Archive (全宗) the volume belongs to, for provenance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archive: Option<String>,
}

/// A manifest that could not be used, with the file it came from.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("{path}: cannot read the batch manifest: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: the batch manifest is not UTF-8 text (byte {offset} is invalid); save it as UTF-8")]
    Encoding { path: PathBuf, offset: usize },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

impl BatchManifest {
    /// Reads and checks `batch.toml`.
    pub fn read(path: &Path) -> Result<Self, ManifestError> {
        let bytes = std::fs::read(path).map_err(|source| ManifestError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_bytes(&bytes, path)
    }

    /// Checks the bytes of a `batch.toml` read from `path` (named in errors).
    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<Self, ManifestError> {
        let text = std::str::from_utf8(bytes).map_err(|e| ManifestError::Encoding {
            path: path.to_path_buf(),
            offset: e.valid_up_to(),
        })?;
        Self::parse(text).map_err(|message| ManifestError::Invalid {
            path: path.to_path_buf(),
            message,
        })
    }

    /// Parses manifest text; the error says which key is wrong and why.
    pub fn parse(text: &str) -> Result<Self, String> {
        let m: BatchManifest = toml::from_str(text).map_err(|e| e.to_string())?;
        m.check()?;
        Ok(m)
    }

    fn check(&self) -> Result<(), String> {
        if self.batch_id.trim().is_empty() {
            return Err("batch_id must not be empty".into());
        }
        if !self
            .batch_id
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            return Err(format!(
                "batch_id {:?} may hold only letters, digits, '-', '_' and '.'",
                self.batch_id
            ));
        }
        if !(50..=2400).contains(&self.scan_dpi) {
            return Err(format!("scan_dpi {} is outside 50..2400", self.scan_dpi));
        }
        if let Some(p) = &self.province {
            let known = p.len() == 2 && crate::codes::division(&format!("{p}0000")).is_some();
            if !known {
                return Err(format!("province {p:?} is not a two-digit GB/T 2260 province code"));
            }
        }
        self.year_span()?;
        Ok(())
    }

    /// The first and last year the volume covers.
    pub fn year_span(&self) -> Result<(u16, u16), String> {
        self.years.span()
    }

    /// The manifest assumed for a folder that has none: the batch id is the folder's name
    /// and each page's ledger type comes from its own title and headers.
    pub fn inferred(dir: &Path) -> Self {
        let batch_id: String = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "batch".into())
            .chars()
            .map(|c| {
                if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        BatchManifest {
            batch_id,
            agency_name: String::new(),
            ledger_type: LedgerType::Mixed,
            volume: String::new(),
            years: Years::List(vec![]),
            scan_dpi: 300,
            province: None,
            archive: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
batch_id = "jn-lc-2012-v3"
agency_name = "济南市历城区殡仪馆"
ledger_type = "cremation"
volume = "3"
years = "2012-2013"
scan_dpi = 300
province = "37"
"#;

    #[test]
    fn reads_a_good_manifest() {
        let m = BatchManifest::parse(GOOD).unwrap();
        assert_eq!(m.ledger_type, LedgerType::Cremation);
        assert_eq!(m.year_span().unwrap(), (2012, 2013));
    }

    #[test]
    fn years_come_back_from_the_stored_form() {
        for years in [
            Years::Range("2012-2014".into()),
            Years::Range("2013".into()),
            Years::List(vec![2013, 2012]),
        ] {
            assert_eq!(Years::from_stored(&years.stored()), years);
        }
        assert!(
            Years::from_stored("").span().is_err(),
            "a folder without a manifest names none"
        );
    }

    #[test]
    fn unknown_keys_are_named() {
        let e = BatchManifest::parse(&format!("{GOOD}\ncolour = \"red\"")).unwrap_err();
        assert!(e.contains("colour"), "{e}");
    }

    #[test]
    fn wrong_types_are_named() {
        let e = BatchManifest::parse(&GOOD.replace("scan_dpi = 300", "scan_dpi = \"high\"")).unwrap_err();
        assert!(e.contains("scan_dpi"), "{e}");
        let e = BatchManifest::parse(&GOOD.replace("\"cremation\"", "\"ashes\"")).unwrap_err();
        assert!(e.contains("ledger_type") || e.contains("ashes"), "{e}");
        let e = BatchManifest::parse(&GOOD.replace("\"37\"", "\"99\"")).unwrap_err();
        assert!(e.contains("province"), "{e}");
        let e = BatchManifest::parse(&GOOD.replace("2012-2013", "twelve")).unwrap_err();
        assert!(e.contains("years"), "{e}");
    }

    #[test]
    fn non_utf8_manifest_names_the_file() {
        let dir = std::env::temp_dir().join(format!("ll-manifest-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("batch.toml");
        std::fs::write(&path, b"batch_id = \"\xd6\xd0\"\n").unwrap();
        let e = BatchManifest::read(&path).unwrap_err().to_string();
        assert!(e.contains("batch.toml") && e.contains("UTF-8"), "{e}");
        std::fs::remove_dir_all(dir).ok();
    }
}
