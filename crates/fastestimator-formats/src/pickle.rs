//! A restricted Python pickle reader for the CIFAR "python version" batches (the form in which
//! ciFAIR-10 and ciFAIR-100 are published: `data_batch_1` … `data_batch_5`, `test_batch`,
//! `train`, `test`).
//!
//! Each batch is a pickled `dict` such as
//!
//! ```text
//! {b'batch_label': b'...', b'labels': [6, 9, ...],          # CIFAR-10 style
//!  b'data': numpy.ndarray(uint8, shape (n, 3072)),           # rows are channel-major images
//!  b'filenames': [b'...', ...]}
//! {b'fine_labels': [...], b'coarse_labels': [...], ...}      # CIFAR-100 style
//! ```
//!
//! The reader runs the pickle opcodes of protocols 0–5 that such files use (containers, ints,
//! floats, strings, bytes, memo, `GLOBAL`/`REDUCE`/`BUILD`) on a small stack machine. It never
//! imports or calls anything: `GLOBAL` and `REDUCE` only build inert records. The only
//! reconstructions it understands are numpy arrays, `numpy.core.multiarray._reconstruct` with
//! a `numpy.dtype` state (protocols 0–4) and `numpy.core.numeric._frombuffer` (protocol 5),
//! which it decodes into an [`ndarray`] array after checking shape, dtype and byte count.
//!
//! Objects live in an arena and refer to each other by index, so shared or even cyclic
//! references (which a hostile file can create) cost nothing and cannot overflow the stack.
//! Every object is created by one opcode, so memory stays proportional to the input size.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use ndarray::{Array2, ArrayD, IxDyn, ShapeBuilder};
use thiserror::Error;

/// Errors produced while reading a pickle.
#[derive(Debug, Error)]
pub enum PickleError {
    /// The input ended inside an opcode.
    #[error("truncated pickle: opcode at byte {offset} needs {needed} more byte(s)")]
    Truncated {
        /// Offset of the opcode.
        offset: usize,
        /// Bytes missing.
        needed: usize,
    },
    /// An opcode this reader does not run.
    #[error("unsupported pickle opcode 0x{opcode:02x} at byte {offset}")]
    UnsupportedOpcode {
        /// The opcode byte.
        opcode: u8,
        /// Its offset.
        offset: usize,
    },
    /// An opcode found the stack in a state it cannot work with.
    #[error("malformed pickle at byte {offset}: {reason}")]
    Malformed {
        /// Offset of the opcode.
        offset: usize,
        /// What is wrong.
        reason: String,
    },
    /// The input ended without a STOP opcode.
    #[error("pickle has no STOP opcode")]
    NoStop,
    /// The unpickled object is not a CIFAR batch.
    #[error("not a CIFAR batch: {0}")]
    Layout(String),
    /// Reading a file failed.
    #[error("cannot read pickle file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The IO error.
        #[source]
        source: std::io::Error,
    },
    /// A file was read but its content is invalid.
    #[error("invalid pickle file {path}: {source}")]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        #[source]
        source: Box<PickleError>,
    },
}

/// The content of a CIFAR python batch.
#[derive(Debug, Clone, PartialEq)]
pub struct CifarPickle {
    /// The `data` array, `[n, 3072]`, each row a channel-major 3 × 32 × 32 image.
    pub data: Array2<u8>,
    /// Every integer list (or integer array) in the dict, by key: `labels` for CIFAR-10,
    /// `fine_labels` and `coarse_labels` for CIFAR-100.
    pub labels: IndexMap<String, Vec<i64>>,
}

/// Parse a CIFAR python batch.
pub fn parse_cifar_pickle(bytes: &[u8]) -> Result<CifarPickle, PickleError> {
    let vm = Vm::run(bytes)?;
    let root = vm.result;
    let Obj::Dict(items) = &vm.arena[root] else {
        return Err(PickleError::Layout(format!("the top-level object is {}, not a dict", vm.kind(root))));
    };
    let mut data = None;
    let mut labels = IndexMap::new();
    for &(k, v) in items {
        let key = vm.text(k).ok_or_else(|| PickleError::Layout(format!("a dict key is {}, not text", vm.kind(k))))?;
        if key == "data" {
            let array = vm.ndarray(v)?;
            let NdArray::U8(a) = array else {
                return Err(PickleError::Layout("'data' is not a uint8 array".into()));
            };
            let shape = a.shape().to_vec();
            let a = a
                .into_dimensionality::<ndarray::Ix2>()
                .map_err(|_| PickleError::Layout(format!("'data' has shape {shape:?}, not [n, 3072]")))?;
            data = Some(a.as_standard_layout().into_owned());
        } else if let Some(ints) = vm.int_list(v) {
            labels.insert(key, ints);
        } else {
            match vm.ndarray(v) {
                Ok(NdArray::I64(a)) if a.ndim() == 1 => {
                    labels.insert(key, a.iter().copied().collect());
                }
                Ok(NdArray::U8(a)) if a.ndim() == 1 => {
                    labels.insert(key, a.iter().map(|&v| i64::from(v)).collect());
                }
                Ok(NdArray::F64(a)) if a.ndim() == 1 && a.iter().all(|f| f.fract() == 0.0 && f.abs() < 9.0e15) => {
                    labels.insert(key, a.iter().map(|&f| f as i64).collect());
                }
                _ => {}
            }
        }
    }
    let data = data.ok_or_else(|| PickleError::Layout("no 'data' key".into()))?;
    Ok(CifarPickle { data, labels })
}

/// Read and parse a CIFAR python batch file; errors name the file.
pub fn read_cifar_pickle_file(path: &Path) -> Result<CifarPickle, PickleError> {
    let bytes = std::fs::read(path).map_err(|source| PickleError::Io { path: path.to_path_buf(), source })?;
    parse_cifar_pickle(&bytes).map_err(|e| PickleError::File { path: path.to_path_buf(), source: Box::new(e) })
}

type Id = usize;

#[derive(Debug, Clone)]
enum Obj {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    Bytes(Vec<u8>),
    Str(String),
    List(Vec<Id>),
    Tuple(Vec<Id>),
    Dict(Vec<(Id, Id)>),
    Global(String, String),
    Reduce(Id, Id),
    Build(Id, Id),
}

enum NdArray {
    U8(ArrayD<u8>),
    I64(ArrayD<i64>),
    F64(ArrayD<f64>),
}

struct Vm<'a> {
    input: &'a [u8],
    pos: usize,
    op_at: usize,
    arena: Vec<Obj>,
    stack: Vec<Id>,
    marks: Vec<usize>,
    memo: HashMap<u64, Id>,
    result: Id,
}

impl<'a> Vm<'a> {
    fn run(input: &'a [u8]) -> Result<Vm<'a>, PickleError> {
        let mut vm = Vm {
            input,
            pos: 0,
            op_at: 0,
            arena: Vec::new(),
            stack: Vec::new(),
            marks: Vec::new(),
            memo: HashMap::new(),
            result: 0,
        };
        loop {
            if vm.pos >= input.len() {
                return Err(PickleError::NoStop);
            }
            vm.op_at = vm.pos;
            let op = input[vm.pos];
            vm.pos += 1;
            if op == b'.' {
                vm.result = vm.pop()?;
                return Ok(vm);
            }
            vm.step(op)?;
        }
    }

    fn malformed(&self, reason: impl Into<String>) -> PickleError {
        PickleError::Malformed { offset: self.op_at, reason: reason.into() }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], PickleError> {
        let left = self.input.len() - self.pos;
        if n > left {
            return Err(PickleError::Truncated { offset: self.op_at, needed: n - left });
        }
        let out = &self.input[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, PickleError> {
        Ok(self.take(1)?[0])
    }

    fn u32(&mut self) -> Result<u32, PickleError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&mut self) -> Result<u64, PickleError> {
        let b = self.take(8)?;
        Ok(u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]))
    }

    fn len64(&mut self) -> Result<usize, PickleError> {
        let n = self.u64()?;
        usize::try_from(n).map_err(|_| PickleError::Truncated { offset: self.op_at, needed: usize::MAX })
    }

    fn line(&mut self) -> Result<&'a str, PickleError> {
        let rest = &self.input[self.pos..];
        let end =
            rest.iter().position(|&b| b == b'\n').ok_or(PickleError::Truncated { offset: self.op_at, needed: 1 })?;
        self.pos += end + 1;
        std::str::from_utf8(&rest[..end]).map_err(|_| self.malformed("text argument is not UTF-8"))
    }

    fn push(&mut self, obj: Obj) {
        self.arena.push(obj);
        self.stack.push(self.arena.len() - 1);
    }

    fn pop(&mut self) -> Result<Id, PickleError> {
        let floor = self.marks.last().copied().unwrap_or(0);
        if self.stack.len() <= floor {
            return Err(self.malformed("stack underflow"));
        }
        Ok(self.stack.pop().unwrap_or_default())
    }

    fn top(&self) -> Result<Id, PickleError> {
        let floor = self.marks.last().copied().unwrap_or(0);
        if self.stack.len() <= floor {
            return Err(self.malformed("stack underflow"));
        }
        Ok(self.stack[self.stack.len() - 1])
    }

    fn pop_mark(&mut self) -> Result<Vec<Id>, PickleError> {
        let mark = self.marks.pop().ok_or_else(|| self.malformed("no MARK on the stack"))?;
        Ok(self.stack.split_off(mark.min(self.stack.len())))
    }

    fn memo_put(&mut self, key: u64) -> Result<(), PickleError> {
        let id = self.top()?;
        self.memo.insert(key, id);
        Ok(())
    }

    fn memo_get(&mut self, key: u64) -> Result<(), PickleError> {
        let id = *self.memo.get(&key).ok_or_else(|| self.malformed(format!("memo key {key} was never stored")))?;
        self.stack.push(id);
        Ok(())
    }

    fn text_of(&self, id: Id) -> Option<String> {
        match &self.arena[id] {
            Obj::Str(s) => Some(s.clone()),
            Obj::Bytes(b) => Some(String::from_utf8_lossy(b).into_owned()),
            _ => None,
        }
    }

    fn extend_list(&mut self, list: Id, items: Vec<Id>) -> Result<(), PickleError> {
        match &mut self.arena[list] {
            Obj::List(v) => {
                v.extend(items);
                Ok(())
            }
            _ => Err(self.malformed("APPEND(S) target is not a list")),
        }
    }

    fn set_items(&mut self, dict: Id, items: Vec<Id>) -> Result<(), PickleError> {
        if !items.len().is_multiple_of(2) {
            return Err(self.malformed("SETITEMS with an odd number of items"));
        }
        match &mut self.arena[dict] {
            Obj::Dict(v) => {
                v.extend(items.chunks_exact(2).map(|p| (p[0], p[1])));
                Ok(())
            }
            _ => Err(self.malformed("SETITEM(S) target is not a dict")),
        }
    }

    fn signed_le(&self, b: &[u8]) -> Result<i64, PickleError> {
        if b.len() > 8 {
            return Err(self.malformed(format!("integer of {} bytes does not fit in 64 bits", b.len())));
        }
        if b.is_empty() {
            return Ok(0);
        }
        let fill = if b[b.len() - 1] & 0x80 != 0 { 0xff } else { 0 };
        let mut a = [fill; 8];
        a[..b.len()].copy_from_slice(b);
        Ok(i64::from_le_bytes(a))
    }

    fn step(&mut self, op: u8) -> Result<(), PickleError> {
        match op {
            0x80 => {
                let proto = self.u8()?;
                if proto > 5 {
                    return Err(self.malformed(format!("unknown protocol {proto}")));
                }
            }
            0x95 => {
                self.u64()?;
            }
            b'(' => self.marks.push(self.stack.len()),
            b'}' => self.push(Obj::Dict(Vec::new())),
            b']' => self.push(Obj::List(Vec::new())),
            b')' => self.push(Obj::Tuple(Vec::new())),
            b'd' => {
                let items = self.pop_mark()?;
                self.push(Obj::Dict(Vec::new()));
                let id = self.top()?;
                self.set_items(id, items)?;
            }
            b'l' => {
                let items = self.pop_mark()?;
                self.push(Obj::List(items));
            }
            b't' => {
                let items = self.pop_mark()?;
                self.push(Obj::Tuple(items));
            }
            0x85..=0x87 => {
                let n = usize::from(op - 0x84);
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push(self.pop()?);
                }
                items.reverse();
                self.push(Obj::Tuple(items));
            }
            b's' => {
                let value = self.pop()?;
                let key = self.pop()?;
                let dict = self.top()?;
                self.set_items(dict, vec![key, value])?;
            }
            b'u' => {
                let items = self.pop_mark()?;
                let dict = self.top()?;
                self.set_items(dict, items)?;
            }
            b'a' => {
                let value = self.pop()?;
                let list = self.top()?;
                self.extend_list(list, vec![value])?;
            }
            b'e' => {
                let items = self.pop_mark()?;
                let list = self.top()?;
                self.extend_list(list, items)?;
            }
            b'J' => {
                let v = self.u32()? as i32;
                self.push(Obj::Int(i64::from(v)));
            }
            b'K' => {
                let v = self.u8()?;
                self.push(Obj::Int(i64::from(v)));
            }
            b'M' => {
                let b = self.take(2)?;
                self.push(Obj::Int(i64::from(u16::from_le_bytes([b[0], b[1]]))));
            }
            0x8a => {
                let n = usize::from(self.u8()?);
                let b = self.take(n)?;
                let v = self.signed_le(b)?;
                self.push(Obj::Int(v));
            }
            0x8b => {
                let n = self.u32()? as usize;
                let b = self.take(n)?;
                let v = self.signed_le(b)?;
                self.push(Obj::Int(v));
            }
            b'G' => {
                let b = self.take(8)?;
                let v = f64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]);
                self.push(Obj::Float(v));
            }
            b'N' => self.push(Obj::None),
            0x88 => self.push(Obj::Bool(true)),
            0x89 => self.push(Obj::Bool(false)),
            b'U' | b'C' => {
                let n = usize::from(self.u8()?);
                let b = self.take(n)?.to_vec();
                self.push(Obj::Bytes(b));
            }
            b'T' => {
                let n = self.u32()? as i32;
                if n < 0 {
                    return Err(self.malformed("negative BINSTRING length"));
                }
                let b = self.take(n as usize)?.to_vec();
                self.push(Obj::Bytes(b));
            }
            b'B' => {
                let n = self.u32()? as usize;
                let b = self.take(n)?.to_vec();
                self.push(Obj::Bytes(b));
            }
            0x8e | 0x96 => {
                let n = self.len64()?;
                let b = self.take(n)?.to_vec();
                self.push(Obj::Bytes(b));
            }
            0x8c | b'X' | 0x8d => {
                let n = match op {
                    0x8c => usize::from(self.u8()?),
                    b'X' => self.u32()? as usize,
                    _ => self.len64()?,
                };
                let b = self.take(n)?;
                let s = std::str::from_utf8(b).map_err(|_| self.malformed("unicode string is not UTF-8"))?;
                self.push(Obj::Str(s.to_string()));
            }
            b'c' => {
                let module = self.line()?.to_string();
                let name = self.line()?.to_string();
                self.push(Obj::Global(module, name));
            }
            0x93 => {
                let name = self.pop()?;
                let module = self.pop()?;
                let (Some(module), Some(name)) = (self.text_of(module), self.text_of(name)) else {
                    return Err(self.malformed("STACK_GLOBAL needs two strings"));
                };
                self.push(Obj::Global(module, name));
            }
            b'R' | 0x81 => {
                let args = self.pop()?;
                let func = self.pop()?;
                self.push(Obj::Reduce(func, args));
            }
            0x92 => {
                let _kwargs = self.pop()?;
                let args = self.pop()?;
                let cls = self.pop()?;
                self.push(Obj::Reduce(cls, args));
            }
            b'b' => {
                let state = self.pop()?;
                let obj = self.pop()?;
                self.push(Obj::Build(obj, state));
            }
            b'q' => {
                let k = self.u8()?;
                self.memo_put(u64::from(k))?;
            }
            b'r' => {
                let k = self.u32()?;
                self.memo_put(u64::from(k))?;
            }
            0x94 => {
                let k = self.memo.len() as u64;
                self.memo_put(k)?;
            }
            b'p' => {
                let k = self.line()?;
                let k = k.trim().parse::<u64>().map_err(|_| self.malformed("PUT key is not a number"))?;
                self.memo_put(k)?;
            }
            b'h' => {
                let k = self.u8()?;
                self.memo_get(u64::from(k))?;
            }
            b'j' => {
                let k = self.u32()?;
                self.memo_get(u64::from(k))?;
            }
            b'g' => {
                let k = self.line()?;
                let k = k.trim().parse::<u64>().map_err(|_| self.malformed("GET key is not a number"))?;
                self.memo_get(k)?;
            }
            b'0' => {
                let floor = self.marks.last().copied().unwrap_or(0);
                if self.stack.len() > floor {
                    self.stack.pop();
                } else {
                    self.pop_mark()?;
                }
            }
            b'1' => {
                self.pop_mark()?;
            }
            b'2' => {
                let id = self.top()?;
                self.stack.push(id);
            }
            b'I' => {
                let line = self.line()?.trim();
                let obj = match line {
                    "00" => Obj::Bool(false),
                    "01" => Obj::Bool(true),
                    _ => Obj::Int(line.parse().map_err(|_| self.malformed(format!("INT {line:?} is not a number")))?),
                };
                self.push(obj);
            }
            b'L' => {
                let line = self.line()?.trim().trim_end_matches('L');
                let v = line.parse().map_err(|_| self.malformed(format!("LONG {line:?} does not fit in 64 bits")))?;
                self.push(Obj::Int(v));
            }
            b'F' => {
                let line = self.line()?.trim();
                let v = line.parse().map_err(|_| self.malformed(format!("FLOAT {line:?} is not a number")))?;
                self.push(Obj::Float(v));
            }
            other => return Err(PickleError::UnsupportedOpcode { opcode: other, offset: self.op_at }),
        }
        Ok(())
    }

    // ---- reading the result ----------------------------------------------------------------

    fn kind(&self, id: Id) -> &'static str {
        match &self.arena[id] {
            Obj::None => "None",
            Obj::Bool(_) => "a bool",
            Obj::Int(_) => "an int",
            Obj::Float(_) => "a float",
            Obj::Bytes(_) => "bytes",
            Obj::Str(_) => "a str",
            Obj::List(_) => "a list",
            Obj::Tuple(_) => "a tuple",
            Obj::Dict(_) => "a dict",
            Obj::Global(..) => "a global",
            Obj::Reduce(..) => "a reduce call",
            Obj::Build(..) => "a built object",
        }
    }

    fn text(&self, id: Id) -> Option<String> {
        self.text_of(id)
    }

    fn int(&self, id: Id) -> Option<i64> {
        match self.arena[id] {
            Obj::Int(v) => Some(v),
            Obj::Bool(b) => Some(i64::from(b)),
            Obj::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(f as i64),
            _ => None,
        }
    }

    fn int_list(&self, id: Id) -> Option<Vec<i64>> {
        match &self.arena[id] {
            Obj::List(items) => items.iter().map(|&i| self.int(i)).collect(),
            _ => None,
        }
    }

    fn tuple(&self, id: Id) -> Option<&[Id]> {
        match &self.arena[id] {
            Obj::Tuple(items) => Some(items),
            _ => None,
        }
    }

    /// Decode `numpy.core.multiarray._reconstruct(...)` + BUILD state into an array.
    fn ndarray(&self, id: Id) -> Result<NdArray, PickleError> {
        let layout = |m: &str| PickleError::Layout(m.to_string());
        // Protocol 5 (numpy >= 1.16): `numpy.core.numeric._frombuffer(buffer, dtype, shape, order)`.
        if let Obj::Reduce(func, args) = self.arena[id] {
            match &self.arena[func] {
                Obj::Global(m, n)
                    if (m == "numpy.core.numeric" || m == "numpy._core.numeric") && n == "_frombuffer" => {}
                _ => return Err(layout("expected numpy.core.numeric._frombuffer")),
            }
            let [raw, dtype, shape, order] =
                self.tuple(args).ok_or_else(|| layout("_frombuffer arguments are not a tuple"))?
            else {
                return Err(layout("_frombuffer takes 4 arguments"));
            };
            let fortran = self.text(*order).is_some_and(|o| o == "F");
            return self.decode_array(*shape, *dtype, fortran, *raw);
        }
        let Obj::Build(reduce, state) = self.arena[id] else {
            return Err(layout("expected a numpy array (a built object)"));
        };
        let Obj::Reduce(func, _) = self.arena[reduce] else {
            return Err(layout("expected a numpy array reconstruction"));
        };
        match &self.arena[func] {
            Obj::Global(m, n)
                if (m == "numpy.core.multiarray" || m == "numpy._core.multiarray") && n == "_reconstruct" => {}
            _ => return Err(layout("expected numpy.core.multiarray._reconstruct")),
        }
        let state = self.tuple(state).ok_or_else(|| layout("numpy array state is not a tuple"))?;
        let [_, shape, dtype, fortran, raw] = state else {
            return Err(layout("numpy array state does not have 5 fields"));
        };
        let fortran = self.int(*fortran).ok_or_else(|| layout("numpy array order flag is not a bool"))? != 0;
        self.decode_array(*shape, *dtype, fortran, *raw)
    }

    /// Build an array from its shape tuple, dtype object, order and raw bytes.
    fn decode_array(&self, shape: Id, dtype: Id, fortran: bool, raw: Id) -> Result<NdArray, PickleError> {
        let layout = |m: &str| PickleError::Layout(m.to_string());
        let shape: Vec<usize> = self
            .tuple(shape)
            .ok_or_else(|| layout("numpy array shape is not a tuple"))?
            .iter()
            .map(|&d| self.int(d).and_then(|d| usize::try_from(d).ok()))
            .collect::<Option<_>>()
            .ok_or_else(|| layout("numpy array shape holds a non-integer or negative dimension"))?;
        if shape.len() > 32 {
            return Err(layout("numpy array has more than 32 dimensions"));
        }
        let (code, size, big) = self.dtype(dtype)?;
        let raw: Vec<u8> = match &self.arena[raw] {
            Obj::Bytes(b) => b.clone(),
            Obj::Str(s) => s
                .chars()
                .map(|c| u8::try_from(u32::from(c)).ok())
                .collect::<Option<_>>()
                .ok_or_else(|| layout("numpy array data string is not latin-1"))?,
            _ => return Err(layout("numpy array data is not a byte string (object arrays are not supported)")),
        };
        let count = shape
            .iter()
            .try_fold(1usize, |acc, &d| acc.checked_mul(d))
            .and_then(|n| n.checked_mul(size))
            .ok_or_else(|| layout("numpy array shape overflows"))?;
        if raw.len() != count {
            return Err(PickleError::Layout(format!(
                "numpy array of shape {shape:?} and {size}-byte elements needs {count} bytes, found {}",
                raw.len()
            )));
        }
        let dim = IxDyn(&shape).set_f(fortran);
        let shape_err = |e: ndarray::ShapeError| PickleError::Layout(format!("internal shape error: {e}"));
        let word = |c: &[u8]| {
            let mut a = [0u8; 8];
            if big {
                a[8 - c.len()..].copy_from_slice(c);
                u64::from_be_bytes(a)
            } else {
                a[..c.len()].copy_from_slice(c);
                u64::from_le_bytes(a)
            }
        };
        let array = match code {
            'u' if size == 1 => NdArray::U8(ArrayD::from_shape_vec(dim, raw).map_err(shape_err)?),
            'b' if size == 1 => NdArray::U8(ArrayD::from_shape_vec(dim, raw).map_err(shape_err)?),
            'u' => {
                let v: Option<Vec<i64>> = raw.chunks_exact(size).map(|c| i64::try_from(word(c)).ok()).collect();
                let v = v.ok_or_else(|| layout("unsigned value does not fit in i64"))?;
                NdArray::I64(ArrayD::from_shape_vec(dim, v).map_err(shape_err)?)
            }
            'i' => {
                let shift = 64 - 8 * size as u32;
                let v = raw.chunks_exact(size).map(|c| ((word(c) << shift) as i64) >> shift).collect();
                NdArray::I64(ArrayD::from_shape_vec(dim, v).map_err(shape_err)?)
            }
            'f' if size == 4 => {
                let v = raw.chunks_exact(4).map(|c| f64::from(f32::from_bits(word(c) as u32))).collect();
                NdArray::F64(ArrayD::from_shape_vec(dim, v).map_err(shape_err)?)
            }
            'f' if size == 8 => {
                let v = raw.chunks_exact(8).map(|c| f64::from_bits(word(c))).collect();
                NdArray::F64(ArrayD::from_shape_vec(dim, v).map_err(shape_err)?)
            }
            _ => return Err(PickleError::Layout(format!("unsupported numpy dtype {code}{size}"))),
        };
        Ok(array)
    }

    /// (kind char, item size, big-endian) of a pickled `numpy.dtype`.
    fn dtype(&self, id: Id) -> Result<(char, usize, bool), PickleError> {
        let layout = |m: &str| PickleError::Layout(m.to_string());
        let (reduce, state) = match self.arena[id] {
            Obj::Build(r, s) => (r, Some(s)),
            Obj::Reduce(..) => (id, None),
            _ => return Err(layout("numpy dtype is not a reconstructed object")),
        };
        let Obj::Reduce(func, args) = self.arena[reduce] else {
            return Err(layout("numpy dtype is not a reconstructed object"));
        };
        match &self.arena[func] {
            Obj::Global(m, n) if m == "numpy" && n == "dtype" => {}
            _ => return Err(layout("expected numpy.dtype")),
        }
        let descr = self
            .tuple(args)
            .and_then(|a| a.first())
            .and_then(|&d| self.text(d))
            .ok_or_else(|| layout("numpy dtype has no type string"))?;
        let endian = state.and_then(|s| self.tuple(s)).and_then(|s| s.get(1)).and_then(|&e| self.text(e));
        let descr = descr.trim_start_matches(['<', '>', '|', '=']);
        let mut chars = descr.chars();
        let code = chars.next().ok_or_else(|| layout("empty numpy dtype"))?;
        let size: usize =
            chars.as_str().parse().map_err(|_| PickleError::Layout(format!("unsupported numpy dtype {descr:?}")))?;
        if !matches!(size, 1 | 2 | 4 | 8) {
            return Err(PickleError::Layout(format!("unsupported numpy dtype {descr:?}")));
        }
        Ok((code, size, endian.as_deref() == Some(">")))
    }
}

/// Write a CIFAR python batch the way Python 2's `cPickle.dump(d, f, 2)` lays it out: a dict
/// with `batch_label`, the integer lists in `labels`, `data` as a `uint8` numpy array and
/// `filenames`. For tests and fuzzing seeds.
pub fn write_cifar_pickle(data: &Array2<u8>, labels: &[(&str, &[i64])]) -> Vec<u8> {
    let mut w = Writer { out: vec![0x80, 2], memo: 0 };
    w.out.push(b'}');
    w.put();
    w.out.push(b'(');
    w.bytes(b"batch_label");
    w.bytes(b"training batch 1 of 5");
    for (key, values) in labels {
        w.bytes(key.as_bytes());
        w.out.push(b']');
        w.put();
        w.out.push(b'(');
        for &v in values.iter() {
            w.int(v);
        }
        w.out.push(b'e');
    }
    w.bytes(b"data");
    w.out.extend_from_slice(b"cnumpy.core.multiarray\n_reconstruct\n");
    w.put();
    w.out.extend_from_slice(b"cnumpy\nndarray\n");
    w.put();
    w.int(0);
    w.out.push(0x85);
    w.put();
    w.bytes(b"b");
    w.out.push(0x87);
    w.put();
    w.out.push(b'R');
    w.put();
    w.out.push(b'(');
    w.int(1);
    w.int(data.nrows() as i64);
    w.int(data.ncols() as i64);
    w.out.push(0x86);
    w.put();
    w.out.extend_from_slice(b"cnumpy\ndtype\n");
    w.put();
    w.bytes(b"u1");
    w.int(0);
    w.int(1);
    w.out.push(0x87);
    w.put();
    w.out.push(b'R');
    w.put();
    w.out.push(b'(');
    w.int(3);
    w.bytes(b"|");
    w.out.extend_from_slice(b"NNN");
    w.int(-1);
    w.int(-1);
    w.int(0);
    w.out.push(b't');
    w.put();
    w.out.push(b'b');
    w.out.push(0x89);
    let raw: Vec<u8> = data.iter().copied().collect();
    w.bytes(&raw);
    w.out.push(b't');
    w.put();
    w.out.push(b'b');
    w.bytes(b"filenames");
    w.out.push(b']');
    w.put();
    w.out.push(b'(');
    for i in 0..data.nrows().min(3) {
        w.bytes(format!("image_{i}.png").as_bytes());
    }
    w.out.push(b'e');
    w.out.push(b'u');
    w.out.push(b'.');
    w.out
}

struct Writer {
    out: Vec<u8>,
    memo: u32,
}

impl Writer {
    fn put(&mut self) {
        if self.memo < 256 {
            self.out.extend_from_slice(&[b'q', self.memo as u8]);
        } else {
            self.out.push(b'r');
            self.out.extend_from_slice(&self.memo.to_le_bytes());
        }
        self.memo += 1;
    }

    fn bytes(&mut self, b: &[u8]) {
        if b.len() < 256 {
            self.out.extend_from_slice(&[b'U', b.len() as u8]);
        } else {
            self.out.push(b'T');
            self.out.extend_from_slice(&(b.len() as u32).to_le_bytes());
        }
        self.out.extend_from_slice(b);
        self.put();
    }

    fn int(&mut self, v: i64) {
        if (0..256).contains(&v) {
            self.out.extend_from_slice(&[b'K', v as u8]);
        } else if (0..65536).contains(&v) {
            self.out.push(b'M');
            self.out.extend_from_slice(&(v as u16).to_le_bytes());
        } else if let Ok(v) = i32::try_from(v) {
            self.out.push(b'J');
            self.out.extend_from_slice(&v.to_le_bytes());
        } else {
            self.out.extend_from_slice(&[0x8a, 8]);
            self.out.extend_from_slice(&v.to_le_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(n: usize) -> Array2<u8> {
        Array2::from_shape_fn((n, 3072), |(i, j)| ((i * 7 + j) % 251) as u8)
    }

    #[test]
    fn roundtrip_cifar10_and_cifar100_layouts() {
        let d = data(3);
        let bytes = write_cifar_pickle(&d, &[("labels", &[6, 9, 300])]);
        let batch = parse_cifar_pickle(&bytes).unwrap();
        assert_eq!(batch.data, d);
        assert_eq!(batch.labels["labels"], vec![6, 9, 300]);

        let bytes = write_cifar_pickle(&d, &[("fine_labels", &[1, 2, 99]), ("coarse_labels", &[0, 19, 70000])]);
        let batch = parse_cifar_pickle(&bytes).unwrap();
        assert_eq!(batch.labels["fine_labels"], vec![1, 2, 99]);
        assert_eq!(batch.labels["coarse_labels"], vec![0, 19, 70000]);
    }

    #[test]
    fn protocol_4_style_pickle() {
        // What Python 3 writes for {'labels': [1, 2], 'data': np.zeros((1, 2), 'u1')} with
        // protocol 4 (FRAME, SHORT_BINUNICODE, MEMOIZE, STACK_GLOBAL, SHORT_BINBYTES).
        let mut b = vec![0x80, 4, 0x95];
        b.extend_from_slice(&0u64.to_le_bytes());
        b.extend_from_slice(&[b'}', 0x94, b'(']);
        b.extend_from_slice(&[0x8c, 6]);
        b.extend_from_slice(b"labels");
        b.extend_from_slice(&[0x94, b']', 0x94, b'(', b'K', 1, b'K', 2, b'e']);
        b.extend_from_slice(&[0x8c, 4]);
        b.extend_from_slice(b"data");
        b.push(0x94);
        b.extend_from_slice(&[0x8c, 21]);
        b.extend_from_slice(b"numpy.core.multiarray");
        b.extend_from_slice(&[0x94, 0x8c, 12]);
        b.extend_from_slice(b"_reconstruct");
        b.extend_from_slice(&[0x94, 0x93, 0x94]);
        b.extend_from_slice(&[0x8c, 5]);
        b.extend_from_slice(b"numpy");
        b.extend_from_slice(&[0x94, 0x8c, 7]);
        b.extend_from_slice(b"ndarray");
        b.extend_from_slice(&[0x94, 0x93, 0x94, b'K', 0, 0x85, 0x94, b'C', 1, b'b', 0x94, 0x87, 0x94, b'R', 0x94]);
        b.extend_from_slice(&[b'(', b'K', 1, b'K', 1, b'K', 2, 0x86, 0x94]);
        b.extend_from_slice(&[b'h', 7, 0x8c, 5]);
        b.extend_from_slice(b"dtype");
        b.extend_from_slice(&[0x94, 0x93, 0x94, 0x8c, 2]);
        b.extend_from_slice(b"u1");
        b.extend_from_slice(&[0x94, 0x89, 0x88, 0x87, 0x94, b'R', 0x94]);
        b.extend_from_slice(&[b'(', b'K', 3, 0x8c, 1, b'|', 0x94, b'N', b'N', b'N', b'J']);
        b.extend_from_slice(&(-1i32).to_le_bytes());
        b.push(b'J');
        b.extend_from_slice(&(-1i32).to_le_bytes());
        b.extend_from_slice(&[b'K', 0, b't', 0x94, b'b', 0x89, b'C', 2, 7, 8, 0x94, b't', 0x94, b'b', b'u', b'.']);
        let batch = parse_cifar_pickle(&b).unwrap();
        assert_eq!(batch.labels["labels"], vec![1, 2]);
        assert_eq!(batch.data, ndarray::arr2(&[[7u8, 8]]));
    }

    #[test]
    fn protocol_5_frombuffer_arrays() {
        // {b'data': numpy.core.numeric._frombuffer(bytearray(b'\x01\x02\x03\x04'), dtype('u1'),
        //  (2, 2), 'C'), b'labels': [0, 1]}, as protocol 5 writes a numpy array in-band.
        let mut p = vec![0x80, 5, b'}', b'(', b'C', 4];
        p.extend_from_slice(b"data");
        p.extend_from_slice(b"cnumpy.core.numeric\n_frombuffer\n");
        p.push(b'(');
        p.push(0x96);
        p.extend_from_slice(&4u64.to_le_bytes());
        p.extend_from_slice(&[1, 2, 3, 4]);
        p.extend_from_slice(b"cnumpy\ndtype\n");
        p.extend_from_slice(&[0x8c, 2, b'u', b'1', 0x89, 0x88, 0x87, b'R']);
        p.extend_from_slice(&[b'K', 2, b'K', 2, 0x86, 0x8c, 1, b'C', b't', b'R']);
        p.extend_from_slice(&[b'C', 6]);
        p.extend_from_slice(b"labels");
        p.extend_from_slice(&[b']', b'(', b'K', 0, b'K', 1, b'e', b'u', b'.']);
        let batch = parse_cifar_pickle(&p).unwrap();
        assert_eq!(batch.data, ndarray::arr2(&[[1u8, 2], [3, 4]]));
        assert_eq!(batch.labels["labels"], vec![0, 1]);
    }

    #[test]
    fn truncated_input_is_an_error_at_every_length() {
        let bytes = write_cifar_pickle(&data(2), &[("labels", &[1, 2])]);
        for cut in 0..bytes.len() {
            assert!(parse_cifar_pickle(&bytes[..cut]).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn rejects_wrong_layouts() {
        // A list, not a dict.
        let err = parse_cifar_pickle(&[0x80, 2, b']', b'.']).unwrap_err();
        assert!(matches!(err, PickleError::Layout(_)), "{err}");
        // No 'data'.
        let err = parse_cifar_pickle(&[0x80, 2, b'}', b'.']).unwrap_err();
        assert!(err.to_string().contains("no 'data'"), "{err}");
        // Wrong byte count: patch the raw data length down by one.
        let mut bytes = write_cifar_pickle(&data(1), &[("labels", &[1])]);
        let at = bytes.windows(5).position(|w| w == [b'T', 0, 12, 0, 0]).unwrap();
        bytes[at + 1] = 0xff;
        bytes[at + 2] = 0x0b;
        bytes.remove(at + 5);
        let err = parse_cifar_pickle(&bytes).unwrap_err().to_string();
        assert!(err.contains("needs 3072 bytes, found 3071"), "{err}");
    }

    #[test]
    fn rejects_hostile_opcodes() {
        for (input, needle) in [
            (&[b'.'][..], "underflow"),
            (&[b'e', b'.'][..], "MARK"),
            (&[b'h', 9, b'.'][..], "memo"),
            (&[b'K', 1, b'K', 2, b's', b'.'][..], "underflow"),
            (&[b']', b'K', 1, b's', b'.'][..], "underflow"),
            (&[b'}', b'(', b'K', 1, b'u', b'.'][..], "odd"),
            (&[0x8a, 9, 1, 1, 1, 1, 1, 1, 1, 1, 1, b'.'][..], "64 bits"),
            (&[b'T', 0xff, 0xff, 0xff, 0xff, b'.'][..], "negative"),
            (&[b'B', 0xff, 0xff, 0xff, 0x7f][..], "truncated"),
            (&[0x80, 9, b'.'][..], "protocol"),
            (&[b'K', 1][..], "STOP"),
            (&[b'Z'][..], "opcode"),
            (&[b'c', b'o', b's'][..], "truncated"),
        ] {
            let err = parse_cifar_pickle(input).unwrap_err().to_string();
            assert!(err.contains(needle), "{input:?}: {err} should mention {needle}");
        }
    }

    #[test]
    fn cyclic_references_are_harmless() {
        // l = []; l.append(l); {'data': l} -> a layout error, no hang or overflow.
        let b = [b'}', b'(', b'U', 4, b'd', b'a', b't', b'a', b']', b'q', 0, b'h', 0, b'a', b'u', b'.'];
        assert!(matches!(parse_cifar_pickle(&b), Err(PickleError::Layout(_))));
    }

    #[test]
    fn file_errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data_batch_1");
        std::fs::write(&path, [0x80, 2, b'}']).unwrap();
        let msg = read_cifar_pickle_file(&path).unwrap_err().to_string();
        assert!(msg.contains("data_batch_1") && msg.contains("STOP"), "{msg}");
    }
}
