//! Places typed in a query, as ranges of division codes (GB/T 2260). Records are found
//! in a province, a city or a county by their household division code, so the index
//! leaves out of the address text what the code says: the province and the city (see
//! `ledgerline_dedupe::normalize::strip_address`), about a third of a record's terms.

use std::sync::OnceLock;

use ledgerline_dedupe::normalize::short_division_name;
use ledgerline_schemas::codes;

/// A name a place goes by and the codes of the place: `start..end`.
struct Place {
    name: String,
    codes: (u64, u64),
}

fn places() -> &'static [Place] {
    static PLACES: OnceLock<Vec<Place>> = OnceLock::new();
    PLACES.get_or_init(|| {
        let mut out = Vec::new();
        for d in codes::all_divisions() {
            let code = u64::from(d.code);
            let (codes, shortened) = if code % 10_000 == 0 {
                ((code, code + 10_000), true)
            } else if code % 100 == 0 {
                ((code, code + 100), true)
            } else {
                ((code, code + 1), false)
            };
            out.push(Place {
                name: d.name.clone(),
                codes,
            });
            // 山东 for 山东省, 济南 for 济南市: what strip_address takes off too.
            if let Some(short) = short_division_name(&d.name).filter(|_| shortened) {
                out.push(Place {
                    name: short.to_string(),
                    codes,
                });
            }
        }
        out
    })
}

/// The code ranges of the places named in `part`: anywhere in it when `within`
/// (`济南市历城区`), else only a part that is a place's whole name (`济南`).
pub(crate) fn named_in(part: &str, within: bool) -> Vec<(u64, u64)> {
    let mut ranges: Vec<(u64, u64)> = places()
        .iter()
        .filter(|p| if within { part.contains(&p.name) } else { part == p.name })
        .map(|p| p.codes)
        .collect();
    ranges.sort_unstable();
    ranges.dedup();
    ranges
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_by_name_and_short_name() {
        let jinan = (370_100, 370_200);
        let licheng = (370_112, 370_113);
        let shandong = (370_000, 380_000);
        let found = named_in("山东省济南市历城区", true);
        for want in [shandong, jinan, licheng] {
            assert!(found.contains(&want), "{want:?} not in {found:?}");
        }
        assert_eq!(named_in("济南", false), vec![jinan]);
        assert!(named_in("济南人", false).is_empty(), "not a whole name");
        assert!(named_in("王秀英", true).is_empty());
    }
}
