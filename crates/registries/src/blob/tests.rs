use std::path::Path;

use ocm_plugin_types::{Location, LocationType};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{Blob, RequestFile};
use crate::Error;

fn location(path: &Path) -> Location {
    Location::local_file(path.to_str().unwrap())
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn mkfifo(path: &Path) {
    rustix::fs::mknodat(
        rustix::fs::CWD,
        path,
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
        0,
    )
    .unwrap();
}

#[tokio::test]
async fn a_local_file_is_read_and_copied() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("test-resource");
    std::fs::write(&path, "test-resource").unwrap();
    let mut blob = Blob::from_location(&location(&path), None).unwrap();
    assert!(!blob.is_pipe() && !blob.is_owned());
    assert_eq!(blob.path(), path);
    assert_eq!(blob.read_to_vec().await.unwrap(), b"test-resource");
    // A file can be read again.
    let mut again = String::new();
    blob.reader()
        .await
        .unwrap()
        .read_to_string(&mut again)
        .await
        .unwrap();
    assert_eq!(again, "test-resource");
    let out = dir.path().join("out");
    assert_eq!(blob.copy_to(&out).await.unwrap(), 13);
    assert_eq!(std::fs::read(&out).unwrap(), b"test-resource");
    drop(blob);
    assert!(
        path.exists(),
        "a blob outside owned_within is never deleted"
    );
}

#[test]
fn a_missing_path_is_an_error() {
    for typ in [LocationType::LocalFile, LocationType::UnixNamedPipe] {
        let location = Location {
            location_type: typ,
            value: "/nonexistent/ocm/blob".into(),
            media_type: None,
        };
        let err = Blob::from_location(&location, None).unwrap_err();
        assert!(matches!(err, Error::PathDoesNotExist(_)), "{err:?}");
        assert!(err.to_string().contains("path does not exist"), "{err}");
    }
}

#[test]
fn remote_urls_and_unknown_types_are_unsupported() {
    let remote = Location {
        location_type: LocationType::RemoteUrl,
        value: "https://example.org/blob".into(),
        media_type: None,
    };
    assert_eq!(
        Blob::from_location(&remote, None).unwrap_err().to_string(),
        "unsupported location type: remoteURL"
    );
    let other: Location = serde_json::from_str(r#"{"type":"ftp","value":"x"}"#).unwrap();
    assert_eq!(
        Blob::from_location(&other, None).unwrap_err().to_string(),
        "unsupported location type: ftp"
    );
    let dir = tempfile::tempdir().unwrap();
    let err = Blob::from_location(&location(dir.path()), None).unwrap_err();
    assert!(
        err.to_string().contains("a directory is not a blob"),
        "{err}"
    );
}

/// 16 MiB through a FIFO: written by a concurrent task, streamed by the blob, checked byte by
/// byte; nothing but the FIFO itself ever exists in the directory.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_fifo_is_streamed_without_a_temp_file() {
    const SIZE: usize = 16 * 1024 * 1024;
    let expected = |i: usize| (i % 251) as u8;
    let owned = tempfile::tempdir().unwrap();
    let fifo = owned.path().join("blob-fifo");
    mkfifo(&fifo);

    let writer_path = fifo.clone();
    let writer = tokio::spawn(async move {
        // Read-write so that opening does not depend on the reader being there first
        // (Linux); the reader still sees EOF when this, the only writer, is dropped.
        let mut tx = tokio::net::unix::pipe::OpenOptions::new()
            .read_write(true)
            .open_sender(&writer_path)
            .unwrap();
        let data: Vec<u8> = (0..SIZE).map(expected).collect();
        for chunk in data.chunks(1024 * 1024) {
            tx.write_all(chunk).await.unwrap();
        }
    });

    let location = Location {
        location_type: LocationType::UnixNamedPipe,
        value: fifo.to_str().unwrap().into(),
        media_type: Some("application/octet-stream".into()),
    };
    let mut blob = Blob::from_location(&location, Some(owned.path())).unwrap();
    assert!(blob.is_pipe() && blob.is_owned());
    assert_eq!(blob.media_type(), Some("application/octet-stream"));
    let mut reader = blob.reader().await.unwrap();
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0usize;
    loop {
        let n = reader.read(&mut buf).await.unwrap();
        if n == 0 {
            break;
        }
        for (k, b) in buf[..n].iter().enumerate() {
            assert_eq!(*b, expected(total + k), "byte {}", total + k);
        }
        total += n;
        assert_eq!(
            entries(owned.path()),
            ["blob-fifo"],
            "no temp file while streaming"
        );
    }
    writer.await.unwrap();
    assert_eq!(total, SIZE);
    drop(reader);
    // A FIFO is read once.
    assert!(
        blob.reader()
            .await
            .unwrap_err()
            .to_string()
            .contains("already been read")
    );
    assert_eq!(entries(owned.path()), ["blob-fifo"]);
    drop(blob);
    assert!(
        entries(owned.path()).is_empty(),
        "the owned FIFO is removed on drop"
    );
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_fifo_can_be_copied_and_made_a_request_file() {
    let dir = tempfile::tempdir().unwrap();
    for (name, into_request) in [("copied", false), ("request", true)] {
        let fifo = dir.path().join(name);
        mkfifo(&fifo);
        let writer_path = fifo.clone();
        let writer = tokio::spawn(async move {
            let mut tx = tokio::net::unix::pipe::OpenOptions::new()
                .read_write(true)
                .open_sender(&writer_path)
                .unwrap();
            tx.write_all(b"through the pipe").await.unwrap();
        });
        let blob = Blob::from_path(&fifo).unwrap();
        if into_request {
            let requests = tempfile::tempdir().unwrap();
            let file = blob.into_request_file(requests.path()).await.unwrap();
            assert!(file.path().starts_with(requests.path()));
            assert_eq!(std::fs::read(file.path()).unwrap(), b"through the pipe");
            drop(file);
            assert!(entries(requests.path()).is_empty());
        } else {
            let mut blob = blob;
            let out = dir.path().join("out");
            assert_eq!(blob.copy_to(&out).await.unwrap(), 16);
            assert_eq!(std::fs::read(&out).unwrap(), b"through the pipe");
        }
        writer.await.unwrap();
        assert!(fifo.exists(), "from_path never deletes");
    }
}

#[test]
fn drop_deletes_owned_files_only() {
    let owned = tempfile::tempdir().unwrap();
    let other = tempfile::tempdir().unwrap();
    let inside = owned.path().join("inside");
    let outside = other.path().join("outside");
    std::fs::write(&inside, "x").unwrap();
    std::fs::write(&outside, "x").unwrap();

    // Outside the owned dir, or no owned dir at all: kept.
    drop(Blob::from_location(&location(&outside), Some(owned.path())).unwrap());
    drop(Blob::from_location(&location(&inside), None).unwrap());
    assert!(outside.exists() && inside.exists());

    // A path that only looks inside is not owned.
    let sneaky = owned
        .path()
        .join("..")
        .join(other.path().file_name().unwrap())
        .join("outside");
    let blob = Blob::from_location(&location(&sneaky), Some(owned.path())).unwrap();
    assert!(!blob.is_owned());
    drop(blob);
    assert!(outside.exists());

    // Inside: handed over, deleted on drop.
    let blob = Blob::from_location(&location(&inside), Some(owned.path())).unwrap();
    assert!(blob.is_owned());
    drop(blob);
    assert!(!inside.exists());
}

#[tokio::test]
async fn request_files_are_deleted_after_use_unless_they_are_the_callers() {
    let dir = tempfile::tempdir().unwrap();
    let file = RequestFile::from_bytes(dir.path(), b"payload")
        .await
        .unwrap();
    assert!(file.path().starts_with(dir.path()));
    assert!(
        file.path()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("blob")
    );
    assert_eq!(file.location().location_type, LocationType::LocalFile);
    assert_eq!(std::fs::read(file.path()).unwrap(), b"payload");
    drop(file);
    assert!(entries(dir.path()).is_empty());

    // A caller's file is passed by path, not copied, and kept.
    let mine = tempfile::tempdir().unwrap();
    let path = mine.path().join("mine");
    std::fs::write(&path, "mine").unwrap();
    let file = Blob::from_path(&path)
        .unwrap()
        .into_request_file(dir.path())
        .await
        .unwrap();
    assert_eq!(file.path(), path);
    assert!(entries(dir.path()).is_empty());
    drop(file);
    assert!(path.exists());

    // An owned blob passed on as a request file lives until the request file is dropped.
    let owned = dir.path().join("owned");
    std::fs::write(&owned, "owned").unwrap();
    let file = Blob::from_location(&location(&owned), Some(dir.path()))
        .unwrap()
        .into_request_file(dir.path())
        .await
        .unwrap();
    assert!(owned.exists());
    drop(file);
    assert!(!owned.exists());
}
