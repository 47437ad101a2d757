//! A `multipart/form-data` upload body as `POST /api/documents` reads it: an optional `folder`
//! part, then one part per file. The importer sends it; the server's tests build theirs here too.

/// The `Content-Type` to send and the body.
pub fn form(folder: &str, files: &[(&str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = format!("folio-upload-{:016x}", files.iter().fold(FNV_OFFSET, |h, (_, b)| fnv(h, b)));
    let mut body = Vec::with_capacity(files.iter().map(|(_, b)| b.len() + 256).sum::<usize>() + 256);
    if !folder.is_empty() {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"folder\"\r\n\r\n{folder}\r\n")
                .as_bytes(),
        );
    }
    for (name, bytes) in files {
        // A quote or a line break would end the header early; the server makes names safe anyway.
        let quoted = name.replace(['"', '\r', '\n'], "_");
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{quoted}\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// FNV-1a: the boundary is derived from the files' bytes, so no file is likely to contain it.
fn fnv(hash: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(hash, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_folder_goes_first_and_names_cannot_break_the_header() {
        let (content_type, body) = super::form("Team", &[("a\".md", b"# A"), ("b.md", b"# B")]);
        let boundary = content_type.strip_prefix("multipart/form-data; boundary=").expect("boundary");
        let text = String::from_utf8(body).expect("text");
        assert!(text.starts_with(&format!("--{boundary}\r\nContent-Disposition: form-data; name=\"folder\"")));
        assert!(text.contains("filename=\"a_.md\""), "{text}");
        assert_eq!(text.matches("name=\"file\"").count(), 2);
        assert!(text.ends_with(&format!("--{boundary}--\r\n")));
    }
}
