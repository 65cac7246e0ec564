//! Scan degradations: what a flatbed scanner and a decade in a cupboard do to a page.

use image::{DynamicImage, GrayImage, Rgb, RgbImage};
use imageproc::drawing::{draw_filled_circle_mut, draw_hollow_circle_mut, draw_text_mut, text_size};
use imageproc::filter::gaussian_blur_f32;
use imageproc::geometric_transformations::{rotate_about_center, Interpolation};
use rand::Rng;

use crate::fonts::Fonts;

/// The degradations applied to one page, recorded so a test can tell what it got.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Degradation {
    pub skew_degrees: f32,
    pub blur_sigma: f32,
    pub speckles: u32,
    pub light_falloff: f32,
    pub jpeg_quality: Option<u8>,
    pub stamp: bool,
    pub grey: bool,
}

impl Degradation {
    pub fn draw<R: Rng>(rng: &mut R) -> Self {
        Degradation {
            skew_degrees: rng.random_range(-2.0..=2.0),
            blur_sigma: if rng.random_bool(0.5) {
                rng.random_range(0.5..1.1)
            } else {
                0.0
            },
            speckles: rng.random_range(200..2500),
            light_falloff: rng.random_range(0.0..0.22),
            jpeg_quality: rng.random_bool(0.4).then(|| rng.random_range(45..80)),
            stamp: rng.random_bool(0.35),
            grey: rng.random_bool(0.7),
        }
    }
}

/// A red round seal (公章) over part of the table, semi-transparent like real ink.
fn stamp<R: Rng>(img: &mut RgbImage, rng: &mut R, fonts: &Fonts) {
    let (w, h) = img.dimensions();
    let cx = rng.random_range(600..w as i32 - 400);
    let cy = rng.random_range(600..h as i32 - 300);
    let mut layer = RgbImage::from_pixel(w, h, Rgb([255, 255, 255]));
    let red = Rgb([200, 30, 30]);
    for r in 150..160 {
        draw_hollow_circle_mut(&mut layer, (cx, cy), r, red);
    }
    draw_filled_circle_mut(&mut layer, (cx, cy), 26, red);
    let label = "业务专用章";
    let scale = ab_glyph::PxScale::from(44.0);
    let (tw, _) = text_size(scale, &fonts.title, label);
    draw_text_mut(&mut layer, red, cx - tw as i32 / 2, cy + 40, scale, &fonts.title, label);
    let alpha = rng.random_range(0.45..0.75);
    for (x, y, p) in layer.enumerate_pixels() {
        if p[0] == 255 && p[1] == 255 {
            continue;
        }
        let q = img.get_pixel_mut(x, y);
        for c in 0..3 {
            // Multiply blend: ink darkens what is under it, never lightens.
            let under = q[c] as f32;
            q[c] = (under * (1.0 - alpha) + under * (p[c] as f32 / 255.0) * alpha) as u8;
        }
    }
}

fn uneven_light(img: &mut RgbImage, falloff: f32, corner: (f32, f32)) {
    let (w, h) = img.dimensions();
    let diag = ((w * w + h * h) as f32).sqrt();
    for (x, y, p) in img.enumerate_pixels_mut() {
        let d = ((x as f32 - corner.0).hypot(y as f32 - corner.1)) / diag;
        let f = 1.0 - falloff * d;
        for c in 0..3 {
            p[c] = (p[c] as f32 * f) as u8;
        }
    }
}

fn speckle<R: Rng>(img: &mut RgbImage, rng: &mut R, n: u32) {
    let (w, h) = img.dimensions();
    for _ in 0..n {
        let (x, y) = (rng.random_range(0..w as i32), rng.random_range(0..h as i32));
        let dark = rng.random_bool(0.8);
        let v = if dark { rng.random_range(0..90) } else { 255 };
        draw_filled_circle_mut(img, (x, y), rng.random_range(0..3), Rgb([v, v, v]));
    }
}

/// Applies the degradations and returns the scanned page.
pub fn apply<R: Rng>(mut img: RgbImage, d: &Degradation, rng: &mut R, fonts: &Fonts) -> DynamicImage {
    if d.stamp {
        stamp(&mut img, rng, fonts);
    }
    let (w, h) = img.dimensions();
    let corner = (rng.random_range(0.0..w as f32), rng.random_range(0.0..h as f32));
    uneven_light(&mut img, d.light_falloff, corner);
    speckle(&mut img, rng, d.speckles);
    if d.blur_sigma > 0.0 {
        img = gaussian_blur_f32(&img, d.blur_sigma);
    }
    if d.skew_degrees.abs() > 0.01 {
        let paper = Rgb([250, 250, 248]);
        img = rotate_about_center(&img, d.skew_degrees.to_radians(), Interpolation::Bilinear, paper);
    }
    let mut out = DynamicImage::ImageRgb8(img);
    if let Some(q) = d.jpeg_quality {
        let mut buf = Vec::new();
        let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut buf, q);
        out.write_with_encoder(enc).expect("in-memory JPEG encode");
        out = image::load_from_memory(&buf).expect("in-memory JPEG decode");
    }
    if d.grey {
        let g: GrayImage = out.to_luma8();
        out = DynamicImage::ImageLuma8(g);
    }
    out
}
