//! Draws the UI without a display: a Slint platform whose one window is a
//! [`MinimalSoftwareWindow`] rendering into a pixel buffer with the software renderer.
//! Screenshots (written as PNG) and the UI benchmark use it.
//!
//! Slint keeps its platform per thread: [`install`] once per thread, before any window.

use std::rc::Rc;
use std::time::{Duration, Instant};

use slint::platform::software_renderer::{MinimalSoftwareWindow, RepaintBufferType};
use slint::platform::{Platform, WindowAdapter};
use slint::{PhysicalSize, PlatformError, Rgb8Pixel};

struct Offscreen {
    window: Rc<MinimalSoftwareWindow>,
    start: Instant,
}

impl Platform for Offscreen {
    fn create_window_adapter(&self) -> Result<Rc<dyn WindowAdapter>, PlatformError> {
        Ok(self.window.clone())
    }

    fn duration_since_start(&self) -> Duration {
        self.start.elapsed()
    }
}

/// A window drawn into memory, and its last frame.
pub struct Screen {
    pub window: Rc<MinimalSoftwareWindow>,
    pub width: u32,
    pub height: u32,
    pixels: Vec<Rgb8Pixel>,
}

/// Makes this thread's Slint platform an offscreen one of `width`×`height` pixels.
/// `partial` repaints only what changed between frames (as a till's screen does);
/// otherwise every frame is drawn whole.
pub fn install(width: u32, height: u32, partial: bool) -> Result<Screen, String> {
    let repaint = if partial {
        RepaintBufferType::ReusedBuffer
    } else {
        RepaintBufferType::NewBuffer
    };
    let window = MinimalSoftwareWindow::new(repaint);
    slint::platform::set_platform(Box::new(Offscreen {
        window: window.clone(),
        start: Instant::now(),
    }))
    .map_err(|e| format!("cannot set up offscreen rendering: {e}"))?;
    window.set_size(PhysicalSize::new(width, height));
    Ok(Screen {
        window,
        width,
        height,
        pixels: vec![Rgb8Pixel::default(); width as usize * height as usize],
    })
}

impl Screen {
    /// Runs due timers and draws the frame if anything changed; true if it drew.
    pub fn draw(&mut self) -> bool {
        slint::platform::update_timers_and_animations();
        let width = self.width as usize;
        let pixels = &mut self.pixels;
        self.window.draw_if_needed(|renderer| {
            renderer.render(pixels, width);
        })
    }

    /// Forces a whole new frame (after a language switch, before a screenshot).
    pub fn redraw(&mut self) {
        self.window.request_redraw();
        self.draw();
    }

    /// The last frame as a PNG image.
    pub fn png(&self) -> Result<Vec<u8>, String> {
        let mut out = Vec::new();
        {
            let mut encoder = png::Encoder::new(&mut out, self.width, self.height);
            encoder.set_color(png::ColorType::Rgb);
            encoder.set_depth(png::BitDepth::Eight);
            let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
            let bytes: Vec<u8> = self.pixels.iter().flat_map(|p| [p.r, p.g, p.b]).collect();
            writer.write_image_data(&bytes).map_err(|e| e.to_string())?;
        }
        Ok(out)
    }

    /// The colour at a pixel of the last frame.
    pub fn pixel(&self, x: u32, y: u32) -> Rgb8Pixel {
        self.pixels[(y * self.width + x) as usize]
    }
}
