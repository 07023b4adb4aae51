use std::{io::Read as _, os::unix::fs::PermissionsExt as _, time::Duration};

use super::*;

/// Every wait in these tests ends within this.
const DEADLINE: Duration = Duration::from_secs(20);

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn entries(dir: &Path) -> Vec<PathBuf> {
    let mut all: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    all.sort();
    all
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn read_all(location: &Location) -> Vec<u8> {
    let mut bytes = Vec::new();
    open(location, DEADLINE)
        .unwrap()
        .read_to_end(&mut bytes)
        .unwrap();
    bytes
}

#[test]
fn from_bytes_writes_unique_private_files() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime();
    let first = rt
        .block_on(from_bytes_in(
            dir.path().into(),
            b"one".to_vec(),
            Some("a/b"),
        ))
        .unwrap();
    let second = rt
        .block_on(from_bytes_in(dir.path().into(), "two", None))
        .unwrap();
    assert_ne!(first.value, second.value);
    assert_eq!(first.location_type, LocationType::LocalFile);
    assert_eq!(first.media_type.as_deref(), Some("a/b"));
    assert_eq!(second.media_type, None);
    for (location, bytes) in [(&first, &b"one"[..]), (&second, b"two")] {
        let path = Path::new(&location.value);
        assert!(path.is_absolute());
        assert_eq!(path.parent(), Some(dir.path()));
        let name = path.file_name().unwrap().to_str().unwrap();
        assert!(name.starts_with(NAME_PREFIX), "{name}");
        assert_eq!(mode(path), 0o600);
        assert_eq!(read_all(location), bytes);
    }
    assert_eq!(entries(dir.path()).len(), 2);
}

#[test]
fn from_bytes_defaults_to_the_temp_dir() {
    let location = runtime().block_on(from_bytes(vec![1, 2, 3], None)).unwrap();
    let path = PathBuf::from(&location.value);
    assert!(path.starts_with(std::env::temp_dir()), "{}", path.display());
    assert_eq!(std::fs::read(&path).unwrap(), [1, 2, 3]);
    std::fs::remove_file(path).unwrap();
}

#[test]
fn from_reader_copies_everything() {
    let dir = tempfile::tempdir().unwrap();
    let data: Vec<u8> = (0..3 * BUFFER_SIZE + 17).map(|i| (i % 251) as u8).collect();
    let location = runtime()
        .block_on(from_reader_in(
            dir.path().into(),
            io::Cursor::new(data.clone()),
            Some("application/octet-stream"),
        ))
        .unwrap();
    assert_eq!(read_all(&location), data);
    assert_eq!(mode(Path::new(&location.value)), 0o600);
}

/// Yields some bytes, then fails.
struct Failing(bool);

impl Read for Failing {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if std::mem::replace(&mut self.0, true) {
            return Err(io::Error::other("source broke"));
        }
        let n = buf.len().min(5);
        buf[..n].fill(b'x');
        Ok(n)
    }
}

#[test]
fn from_reader_leaves_nothing_on_a_read_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = runtime()
        .block_on(from_reader_in(dir.path().into(), Failing(false), None))
        .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("source broke"), "{text}");
    assert!(text.contains(&dir.path().display().to_string()), "{text}");
    assert!(entries(dir.path()).is_empty());
}

#[test]
fn errors_name_the_directory() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing");
    let err = runtime()
        .block_on(from_bytes_in(missing.clone(), b"x", None))
        .unwrap_err();
    assert!(
        err.to_string().contains(&missing.display().to_string()),
        "{err}"
    );
}

#[test]
fn blob_file_is_removed_unless_finished() {
    let dir = tempfile::tempdir().unwrap();
    let mut unfinished = BlobFile::create_in(dir.path()).unwrap();
    unfinished.write_all(b"half").unwrap();
    let path = unfinished.path().to_owned();
    assert_eq!(mode(&path), 0o600);
    drop(unfinished);
    assert!(!path.exists());
    assert!(entries(dir.path()).is_empty());

    let mut blob = BlobFile::create_in(dir.path()).unwrap();
    blob.write_all(b"who").unwrap();
    let mut rest = tempfile::tempfile().unwrap();
    rest.write_all(b"le").unwrap();
    std::io::Seek::rewind(&mut rest).unwrap();
    io::copy(&mut rest, blob.as_file_mut()).unwrap();
    let path = blob.path().to_owned();
    let location = blob.finish(Some("text/plain")).unwrap();
    assert_eq!(Path::new(&location.value), path);
    assert_eq!(location.media_type.as_deref(), Some("text/plain"));
    assert_eq!(std::fs::read(&path).unwrap(), b"whole");
}

#[test]
fn stream_is_delivered_to_a_reader() {
    let dir = tempfile::tempdir().unwrap();
    let data: Vec<u8> = (0..1_000_000u32).map(|i| (i % 253) as u8).collect();
    let rt = runtime();
    rt.block_on(async {
        let (location, feeding) = from_stream_in(
            dir.path().into(),
            io::Cursor::new(data.clone()),
            Some("a/b"),
            DEADLINE,
        )
        .await
        .unwrap();
        assert_eq!(location.location_type, LocationType::UnixNamedPipe);
        assert_eq!(location.media_type.as_deref(), Some("a/b"));
        let path = PathBuf::from(&location.value);
        assert_eq!(path.parent(), Some(dir.path()));
        assert_eq!(mode(&path), 0o600);
        let read = tokio::task::spawn_blocking(move || read_all(&location));
        let bytes = tokio::time::timeout(DEADLINE, read).await.unwrap().unwrap();
        assert_eq!(bytes, data);
        tokio::time::timeout(DEADLINE, feeding)
            .await
            .unwrap()
            .unwrap();
        // The reader has its handle; the name is gone.
        assert!(!path.exists());
    });
    assert!(entries(dir.path()).is_empty());
}

#[test]
fn unread_pipe_is_removed_after_the_reader_wait() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime();
    rt.block_on(async {
        let (location, feeding) = from_stream_in(
            dir.path().into(),
            io::Cursor::new(b"nobody reads this".to_vec()),
            None,
            Duration::from_millis(50),
        )
        .await
        .unwrap();
        assert!(Path::new(&location.value).exists());
        tokio::time::timeout(DEADLINE, feeding)
            .await
            .unwrap()
            .unwrap();
    });
    assert!(entries(dir.path()).is_empty());
}

#[test]
fn cancelled_pipe_is_removed() {
    let dir = tempfile::tempdir().unwrap();
    {
        let rt = runtime();
        rt.block_on(async {
            let (location, _feeding) = from_stream_in(
                dir.path().into(),
                io::Cursor::new(b"never".to_vec()),
                None,
                DEADLINE,
            )
            .await
            .unwrap();
            assert!(Path::new(&location.value).exists());
        });
        // Dropping the runtime drops the feeding task, which wakes its blocked writer, so the
        // drop (which joins the blocking pool) returns.
    }
    assert!(entries(dir.path()).is_empty());
}

#[test]
fn open_refuses_what_it_cannot_read() {
    let dir = tempfile::tempdir().unwrap();
    let wait = Duration::from_millis(10);
    let typed = |location_type, value: &str| Location {
        location_type,
        value: value.to_owned(),
        media_type: None,
    };
    let dir_value = dir.path().to_str().unwrap();
    for (location, kind, says) in [
        (
            typed(LocationType::RemoteUrl, "https://example.com/b"),
            400,
            "remoteURL",
        ),
        (typed(LocationType::Other("s3".into()), "/x"), 400, "s3"),
        (Location::local_file("relative/blob"), 400, "relative"),
        (
            typed(LocationType::UnixNamedPipe, "relative.pipe"),
            400,
            "relative",
        ),
        (Location::local_file(dir_value), 400, "not a regular file"),
        (
            Location::local_file(format!("{dir_value}/missing")),
            404,
            "missing",
        ),
    ] {
        let err = open(&location, wait).unwrap_err();
        assert_eq!(err.status(), kind, "{location:?}: {err}");
        assert!(err.to_string().contains(says), "{location:?}: {err}");
    }
}

#[test]
fn open_reads_files_and_pipes() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file");
    std::fs::write(&file, b"file bytes").unwrap();
    assert_eq!(
        read_all(&Location::local_file(file.to_str().unwrap())),
        b"file bytes"
    );

    let (fifo, value) = make_fifo(dir.path()).unwrap();
    let as_file = Location::local_file(value.clone());
    // A FIFO behind a localFile location is refused at once instead of waiting for a writer.
    assert_eq!(open(&as_file, DEADLINE).unwrap_err().status(), 400);
    let as_pipe = Location {
        location_type: LocationType::UnixNamedPipe,
        ..as_file
    };
    // No writer within the wait: a timeout naming the path.
    let err = open(&as_pipe, Duration::from_millis(20)).unwrap_err();
    assert_eq!(err.status(), 400, "{err}");
    assert!(err.to_string().contains(&value), "{err}");
    let writer = std::thread::spawn(move || std::fs::write(value, b"pipe bytes").unwrap());
    assert_eq!(read_all(&as_pipe), b"pipe bytes");
    writer.join().unwrap();
    drop(fifo);
    assert_eq!(entries(dir.path()), [file]);
}

/// A decoder's corrupt input is the caller's error (400), any other read error the plugin's.
#[test]
fn invalid_data_is_invalid_argument() {
    struct Failing(io::ErrorKind);
    impl Read for Failing {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Err(io::Error::new(self.0, "broken"))
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let corrupt = runtime
        .block_on(from_reader_in(
            dir.path().to_owned(),
            Failing(io::ErrorKind::InvalidData),
            None,
        ))
        .unwrap_err();
    assert!(matches!(corrupt, Error::InvalidArgument(_)), "{corrupt:?}");
    let other = runtime
        .block_on(from_reader_in(
            dir.path().to_owned(),
            Failing(io::ErrorKind::Other),
            None,
        ))
        .unwrap_err();
    assert!(matches!(other, Error::Internal { .. }), "{other:?}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}
