//! A database file read as it is, with every write kept in memory: a store
//! that a killed writer left is repaired in memory and read as of its last
//! commit, and the file is not written (only a writer repairs it).

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Mutex;

const BLOCK: u64 = 4096;

/// The file, and the blocks written since it was opened.
#[derive(Debug)]
pub(super) struct Overlay {
    file: Mutex<File>,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    len: u64,
    /// Below this the file's own bytes show through; above it, zeros (the
    /// storage was cut shorter than the file at some point).
    file_floor: u64,
    blocks: HashMap<u64, Vec<u8>>,
}

impl Overlay {
    pub(super) fn open(path: &Path) -> std::io::Result<Self> {
        let file = File::open(path)?;
        let len = file.metadata()?.len();
        Ok(Overlay {
            file: Mutex::new(file),
            state: Mutex::new(State { len, file_floor: len, blocks: HashMap::new() }),
        })
    }

    /// Block `n` as the storage has it now.
    fn block(&self, state: &State, n: u64) -> std::io::Result<Vec<u8>> {
        if let Some(block) = state.blocks.get(&n) {
            return Ok(block.clone());
        }
        let mut block = vec![0; BLOCK as usize];
        let start = n * BLOCK;
        if start < state.file_floor {
            let take = (state.file_floor - start).min(BLOCK) as usize;
            let mut file = self.file.lock().map_err(|_| std::io::Error::other("poisoned"))?;
            file.seek(SeekFrom::Start(start))?;
            file.read_exact(&mut block[..take])?;
        }
        Ok(block)
    }
}

fn poisoned<T>(_: T) -> std::io::Error {
    std::io::Error::other("a lock was poisoned")
}

impl redb::StorageBackend for Overlay {
    fn len(&self) -> Result<u64, std::io::Error> {
        Ok(self.state.lock().map_err(poisoned)?.len)
    }

    fn read(&self, offset: u64, out: &mut [u8]) -> Result<(), std::io::Error> {
        let state = self.state.lock().map_err(poisoned)?;
        if offset + out.len() as u64 > state.len {
            return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "read past the end"));
        }
        let mut done = 0;
        while done < out.len() {
            let at = offset + done as u64;
            let (n, within) = (at / BLOCK, (at % BLOCK) as usize);
            let take = (BLOCK as usize - within).min(out.len() - done);
            let block = self.block(&state, n)?;
            out[done..done + take].copy_from_slice(&block[within..within + take]);
            done += take;
        }
        Ok(())
    }

    fn set_len(&self, len: u64) -> Result<(), std::io::Error> {
        let mut state = self.state.lock().map_err(poisoned)?;
        if len < state.len {
            // What lies past the new end reads as zeros if the storage grows
            // again.
            state.file_floor = state.file_floor.min(len);
            let last = len / BLOCK;
            state.blocks.retain(|&n, _| n <= last);
            if let Some(block) = state.blocks.get_mut(&last) {
                block[(len % BLOCK) as usize..].fill(0);
            }
        }
        state.len = len;
        Ok(())
    }

    fn sync_data(&self) -> Result<(), std::io::Error> {
        Ok(())
    }

    fn write(&self, offset: u64, data: &[u8]) -> Result<(), std::io::Error> {
        let mut state = self.state.lock().map_err(poisoned)?;
        let mut done = 0;
        while done < data.len() {
            let at = offset + done as u64;
            let (n, within) = (at / BLOCK, (at % BLOCK) as usize);
            let take = (BLOCK as usize - within).min(data.len() - done);
            let mut block = self.block(&state, n)?;
            block[within..within + take].copy_from_slice(&data[done..done + take]);
            state.blocks.insert(n, block);
            done += take;
        }
        state.len = state.len.max(offset + data.len() as u64);
        Ok(())
    }
}
