//! What a document is made of: upload checks by the bytes, safe names, slugs and folders
//! ([`upload`]), format conversion to Markdown ([`convert`]), and Markdown rendering with front
//! matter, outline and sanitising ([`markdown`]).

pub mod convert;
pub mod markdown;
pub mod upload;
