//! Stored bytes: content-addressed keys ([`blob_key`]), storing, reading, long text and
//! collection of unreferenced blobs ([`blobs`]).

pub mod blob_key;
pub mod blobs;
