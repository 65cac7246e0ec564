//! System CJK fonts, from Debian packages. Pages are drawn with several faces (黑体, 宋体,
//! 明体 and a brush 楷体) the way different agencies' ledgers look.

use ab_glyph::FontVec;
use anyhow::{anyhow, Context, Result};

/// A face: its file, the index inside a font collection, and the package that ships it.
pub struct FaceSpec {
    pub name: &'static str,
    pub path: &'static str,
    pub index: u32,
    pub package: &'static str,
}

pub const FACES: &[FaceSpec] = &[
    FaceSpec {
        name: "noto-sans-sc",
        path: "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        index: 2,
        package: "fonts-noto-cjk",
    },
    FaceSpec {
        name: "noto-serif-sc",
        path: "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
        index: 2,
        package: "fonts-noto-cjk",
    },
    FaceSpec {
        name: "ar-pl-ukai",
        path: "/usr/share/fonts/truetype/arphic/ukai.ttc",
        index: 0,
        package: "fonts-arphic-ukai",
    },
    FaceSpec {
        name: "ar-pl-uming",
        path: "/usr/share/fonts/truetype/arphic/uming.ttc",
        index: 0,
        package: "fonts-arphic-uming",
    },
    FaceSpec {
        name: "wqy-zenhei",
        path: "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
        index: 0,
        package: "fonts-wqy-zenhei",
    },
];

/// The title face: a bold sans, as ledger covers and headings are printed.
pub const TITLE_FACE: FaceSpec = FaceSpec {
    name: "noto-sans-sc-bold",
    path: "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    index: 2,
    package: "fonts-noto-cjk",
};

pub struct Fonts {
    pub faces: Vec<FontVec>,
    pub title: FontVec,
}

fn load(spec: &FaceSpec) -> Result<FontVec> {
    let bytes = std::fs::read(spec.path).with_context(|| {
        format!(
            "font {} not found at {}: install the Debian package {} (apt-get install {})",
            spec.name, spec.path, spec.package, spec.package
        )
    })?;
    FontVec::try_from_vec_and_index(bytes, spec.index)
        .map_err(|e| anyhow!("{}: not a usable font (face {}): {e}", spec.path, spec.index))
}

impl Fonts {
    pub fn load() -> Result<Fonts> {
        Ok(Fonts {
            faces: FACES.iter().map(load).collect::<Result<_>>()?,
            title: load(&TITLE_FACE)?,
        })
    }
}
