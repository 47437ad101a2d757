//! The sample content both hosts load into an empty site: pages about Folio itself.

use domain::site::seed::{SampleDoc, SampleFile};

macro_rules! sample {
    ($folder:literal, $slug:literal) => {
        SampleDoc {
            slug: $slug,
            folder: $folder,
            markdown: include_str!(concat!("../../content/samples/", $slug, ".md")),
        }
    };
}

/// Newest first: the home page lists them in this order.
pub const DOCS: &[SampleDoc] = &[
    sample!("", "welcome-to-folio"),
    sample!("about", "how-folio-is-built"),
    sample!("guides", "writing-documents"),
    sample!("guides", "searching-and-asking"),
];

pub const FILES: &[SampleFile] = &[SampleFile {
    name: "folio-hosts.png",
    content_type: "image/png",
    bytes: include_bytes!("../../content/samples/folio-hosts.png"),
}];
