//! Clusters: connected components over accepted links, strongest links first, with a
//! guard against chains: two clusters whose records carry different valid ID numbers
//! (checksums pass, numbers differ) are different people and never merge, whatever
//! chain of look-alike records lies between them; nor do clusters holding two records a
//! reviewer marked as different people.

use crate::normalize::IdNo;

pub struct Clusters {
    parent: Vec<u32>,
    /// The one valid ID number of a root's cluster, if any.
    id: Vec<Option<[u8; 18]>>,
    /// Record pairs reviewers said are different people.
    apart: Vec<(u32, u32)>,
    /// The database person of a root's cluster, if any.
    anchor: Vec<Option<u32>>,
}

impl Clusters {
    /// `anchor` is empty, or per record its database person.
    pub fn new(ids: impl Iterator<Item = Option<IdNo>>, apart: &[(u32, u32)], anchor: &[Option<u32>]) -> Clusters {
        let id: Vec<Option<[u8; 18]>> = ids.map(|i| i.filter(|i| i.valid).map(|i| i.bytes)).collect();
        let anchor = if anchor.is_empty() {
            vec![None; id.len()]
        } else {
            anchor.to_vec()
        };
        assert_eq!(anchor.len(), id.len(), "one anchor entry per record");
        Clusters {
            parent: (0..id.len() as u32).collect(),
            id,
            apart: apart.to_vec(),
            anchor,
        }
    }

    pub fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let grand = self.parent[self.parent[x as usize] as usize];
            self.parent[x as usize] = grand;
            x = grand;
        }
        x
    }

    /// Joins the clusters of `a` and `b`; false when their ID numbers conflict or a
    /// reviewer kept two of their records apart.
    pub fn union(&mut self, a: u32, b: u32) -> bool {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return true;
        }
        if let (Some(x), Some(y)) = (self.id[ra as usize], self.id[rb as usize]) {
            if x != y {
                return false;
            }
        }
        if let (Some(x), Some(y)) = (self.anchor[ra as usize], self.anchor[rb as usize]) {
            if x != y {
                return false;
            }
        }
        for i in 0..self.apart.len() {
            let (x, y) = self.apart[i];
            let (rx, ry) = (self.find(x), self.find(y));
            if (rx == ra && ry == rb) || (rx == rb && ry == ra) {
                return false;
            }
        }
        self.join(ra, rb);
        true
    }

    /// Joins two clusters a reviewer said are one person, whatever the guard says.
    pub fn force_union(&mut self, a: u32, b: u32) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            self.join(ra, rb);
        }
    }

    fn join(&mut self, ra: u32, rb: u32) {
        let (ia, ib) = (self.id[ra as usize], self.id[rb as usize]);
        // The smaller index becomes the root: deterministic whatever the link order.
        let (root, child) = if ra < rb { (ra, rb) } else { (rb, ra) };
        self.parent[child as usize] = root;
        self.id[root as usize] = ia.or(ib);
        self.anchor[root as usize] = self.anchor[root as usize].or(self.anchor[child as usize]);
    }

    /// Every record's cluster, named by the cluster's smallest record index.
    pub fn assignments(&mut self) -> Vec<u32> {
        (0..self.parent.len() as u32).map(|i| self.find(i)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conflicting_ids_never_chain() {
        let a = IdNo::parse("34052419800101001X");
        let b = IdNo::parse("110101195001011234").filter(|i| i.valid);
        let b = b.or_else(|| {
            // Make a valid second number whatever the check digit of the literal.
            let first17 = "11010119500101123";
            let check = ledgerline_schemas::id_number::check_char(first17).unwrap();
            IdNo::parse(&format!("{first17}{check}"))
        });
        let mut c = Clusters::new([a, None, b].into_iter(), &[], &[]);
        assert!(c.union(0, 1));
        assert!(!c.union(1, 2), "the middle record must not join two ID numbers");
        assert_eq!(c.assignments(), vec![0, 0, 2]);
    }

    #[test]
    fn reviewers_decisions_hold() {
        let mut c = Clusters::new([None, None, None, None].into_iter(), &[(0, 2)], &[]);
        assert!(c.union(0, 1));
        assert!(!c.union(1, 2), "0 and 2 were marked different");
        c.force_union(2, 3);
        assert_eq!(c.assignments(), vec![0, 0, 2, 2]);
    }

    #[test]
    fn database_persons_stay_apart() {
        let mut c = Clusters::new([None, None, None].into_iter(), &[], &[Some(7), None, Some(9)]);
        assert!(c.union(0, 1), "a new record joins a database person");
        assert!(!c.union(1, 2), "but does not join two of them");
    }
}
