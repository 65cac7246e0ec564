//! CCITT fax coding — Group 3 one- and two-dimensional, Group 4 — as document scanners
//! and fax servers store bilevel pages in TIFF frames and PDF images, decoded with
//! `hayro-ccitt` (the `tiff` crate reads only Group 4).

use hayro_ccitt::{DecodeSettings, DecoderContext};

/// Decodes `data`, handing each row's colour changes (see [`paint`]) to `on_row` with the
/// row's number, up to `settings.rows`. A stream that goes wrong after every row it should
/// hold is decoded (writers pad and end streams loosely); one that stops short is damage.
pub(crate) fn decode(data: &[u8], settings: DecodeSettings, on_row: impl FnMut(usize, &[u32])) -> Result<(), String> {
    struct Rows<F> {
        on_row: F,
        done: usize,
        wanted: usize,
    }
    impl<F: FnMut(usize, &[u32])> hayro_ccitt::Decoder for Rows<F> {
        fn push_row(&mut self, changes: &[u32]) {
            if self.done < self.wanted {
                (self.on_row)(self.done, changes);
            }
            self.done += 1;
        }
    }
    let wanted = settings.rows as usize;
    let mut rows = Rows {
        on_row,
        done: 0,
        wanted,
    };
    let mut context = DecoderContext::new(settings);
    let result = hayro_ccitt::decode(data, &mut rows, &mut context);
    match result {
        _ if rows.done >= wanted => Ok(()),
        Err(e) => Err(format!(
            "its fax coding breaks off after {} of its {wanted} rows ({e:?})",
            rows.done
        )),
        Ok(_) => Err(format!("its fax coding ends after {} of its {wanted} rows", rows.done)),
    }
}

/// Paints a row given as colour changes: it starts white, turns black at the first
/// change, white at the second, and so on to its end. `row` is white already.
pub(crate) fn paint<T: Copy>(row: &mut [T], changes: &[u32], black: T) {
    for pair in changes.chunks(2) {
        let from = (pair[0] as usize).min(row.len());
        let to = pair.get(1).map_or(row.len(), |&c| (c as usize).min(row.len()));
        row[from..to.max(from)].fill(black);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_is_painted_black_between_its_changes() {
        let mut row = [1u8; 10];
        paint(&mut row, &[2, 4, 7], 0);
        assert_eq!(row, [1, 1, 0, 0, 1, 1, 1, 0, 0, 0]);
        let mut row = [1u8; 4];
        paint(&mut row, &[], 0);
        assert_eq!(row, [1; 4]);
        paint(&mut row, &[3, 9], 0);
        assert_eq!(row, [1, 1, 1, 0]);
    }
}
