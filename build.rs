//! Compiles the Slint touch UI (ui/app.slint) and bundles its translations (ui/translations,
//! gettext `.po` files) into the library.

fn main() {
    let config = slint_build::CompilerConfiguration::new()
        .with_style("fluent".into())
        .with_bundled_translations("ui/translations")
        .with_default_translation_context(slint_build::DefaultTranslationContext::None)
        // Element names and accessible labels for the UI tests (Slint's testing backend).
        .with_debug_info(true);
    slint_build::compile_with_config("ui/app.slint", config).expect("the Slint UI compiles");
}
