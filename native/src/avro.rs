//! Avro's binary encoding read straight into Python objects, for messages written with the
//! reader's own schema (the common case: a topic's producers and consumers share one version).
//!
//! fastavro walks the schema's Python dicts for every value (~28 µs for a `payees.enriched`
//! record); this reads a schema compiled once into an arena of nodes. It yields what fastavro
//! yields: dicts in field order, lists, `str`, `bytes`, `int`, `float`, `bool`, `None`, and a
//! `timestamp-millis` as the caller's function makes it (fastavro's own `epoch + timedelta`).
//! A schema with anything else (another logical type) is refused at construction, and the
//! caller keeps fastavro for it; so does a message written with another schema, which needs
//! resolution.
//!
//! It writes as fastavro writes, byte for byte: a record's missing field takes its default
//! (null in a nullable field without one), a boolean is its value's truth, a number may be any
//! `int` or `float`; a value of the wrong type is a `TypeError` or `ValueError` naming the field.
//! A union is written only as `[null, T]`, the one shape payeeflow's schemas use (others are
//! refused at construction).

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyList, PyString};
use rustc_hash::FxHashMap;

enum Node {
    Null,
    Boolean,
    Long, // Avro int and long alike: a zigzag varint
    Float,
    Double,
    Bytes,
    String,
    TimestampMillis,
    Record(Vec<Field>),
    Enum(Vec<Py<PyString>>),
    Fixed(usize),
    Array(usize),
    Map(usize),
    Union(Vec<usize>),
}

struct Field {
    name: Py<PyString>,
    node: usize,
    default: Option<Py<PyAny>>, // the field's default, as JSON gave it, for a record without it
}

pub struct Schema {
    nodes: Vec<Node>,
    root: usize,
    timestamp: Py<PyAny>,
    millis: Py<PyAny>,
}

fn refuse<T>(what: impl Into<String>) -> PyResult<T> {
    Err(PyValueError::new_err(what.into()))
}

struct Compiler<'py> {
    py: Python<'py>,
    nodes: Vec<Node>,
    names: FxHashMap<String, usize>,
}

impl<'py> Compiler<'py> {
    fn push(&mut self, node: Node) -> usize {
        self.nodes.push(node);
        self.nodes.len() - 1
    }

    fn full_name(name: &str, namespace: Option<&str>) -> String {
        match namespace {
            Some(ns) if !name.contains('.') && !ns.is_empty() => format!("{ns}.{name}"),
            _ => name.to_owned(),
        }
    }

    fn primitive(&mut self, name: &str, namespace: Option<&str>) -> PyResult<usize> {
        let node = match name {
            "null" => Node::Null,
            "boolean" => Node::Boolean,
            "int" | "long" => Node::Long,
            "float" => Node::Float,
            "double" => Node::Double,
            "bytes" => Node::Bytes,
            "string" => Node::String,
            _ => {
                let full = Self::full_name(name, namespace);
                return match self.names.get(&full).or_else(|| self.names.get(name)) {
                    Some(&index) => Ok(index),
                    None => refuse(format!("unknown type {name:?}")),
                };
            }
        };
        Ok(self.push(node))
    }

    fn compile(&mut self, spec: &Bound<'py, PyAny>, namespace: Option<&str>) -> PyResult<usize> {
        if let Ok(name) = spec.cast::<PyString>() {
            return self.primitive(name.to_str()?, namespace);
        }
        if let Ok(branches) = spec.cast::<PyList>() {
            let mut union = Vec::with_capacity(branches.len());
            for branch in branches.iter() {
                union.push(self.compile(&branch, namespace)?);
            }
            let nulls = union
                .iter()
                .filter(|&&b| matches!(self.nodes[b], Node::Null))
                .count();
            if union.len() != 2 || nulls != 1 {
                return refuse("only [null, T] unions are compiled");
            }
            return Ok(self.push(Node::Union(union)));
        }
        let Ok(spec) = spec.cast::<PyDict>() else {
            return refuse("a schema is a name, a list or an object");
        };
        let get = |key: &str| spec.get_item(key);
        let kind = get("type")?.ok_or_else(|| PyValueError::new_err("no type"))?;
        let Ok(kind_name) = kind.cast::<PyString>() else {
            return self.compile(&kind, namespace); // {"type": {...}} or {"type": [...]}
        };
        let kind_name = kind_name.to_str()?;
        if let Some(logical) = get("logicalType")? {
            let logical: String = logical.extract()?;
            return match (kind_name, logical.as_str()) {
                ("long", "timestamp-millis") => Ok(self.push(Node::TimestampMillis)),
                _ => refuse(format!("logical type {logical:?} on {kind_name:?}")),
            };
        }
        match kind_name {
            "record" | "error" | "enum" | "fixed" => {
                let name: String = get("name")?
                    .ok_or_else(|| PyValueError::new_err("a named type without a name"))?
                    .extract()?;
                let own: Option<String> = match get("namespace")? {
                    Some(ns) => Some(ns.extract()?),
                    None => name
                        .rsplit_once('.')
                        .map(|(ns, _)| ns.to_owned())
                        .or(namespace.map(str::to_owned)),
                };
                let full = Self::full_name(&name, own.as_deref());
                let index = self.push(Node::Null); // named before its fields: they may refer to it
                self.names.insert(full, index);
                self.nodes[index] = match kind_name {
                    "enum" => {
                        let symbols: Vec<String> = get("symbols")?
                            .ok_or_else(|| PyValueError::new_err("an enum without symbols"))?
                            .extract()?;
                        Node::Enum(
                            symbols
                                .iter()
                                .map(|s| PyString::intern(self.py, s).unbind())
                                .collect(),
                        )
                    }
                    "fixed" => Node::Fixed(
                        get("size")?
                            .ok_or_else(|| PyValueError::new_err("a fixed without a size"))?
                            .extract()?,
                    ),
                    _ => {
                        let fields = get("fields")?
                            .ok_or_else(|| PyValueError::new_err("a record without fields"))?;
                        let mut compiled = Vec::new();
                        for field in fields.try_iter()? {
                            let field = field?;
                            let field_name: String = field.get_item("name")?.extract()?;
                            let node = self.compile(&field.get_item("type")?, own.as_deref())?;
                            let default = field.cast::<PyDict>()?.get_item("default")?;
                            compiled.push(Field {
                                name: PyString::intern(self.py, &field_name).unbind(),
                                node,
                                default: default.map(Bound::unbind),
                            });
                        }
                        Node::Record(compiled)
                    }
                };
                Ok(index)
            }
            "array" => {
                let items = get("items")?.ok_or_else(|| PyValueError::new_err("no items"))?;
                let node = self.compile(&items, namespace)?;
                Ok(self.push(Node::Array(node)))
            }
            "map" => {
                let values = get("values")?.ok_or_else(|| PyValueError::new_err("no values"))?;
                let node = self.compile(&values, namespace)?;
                Ok(self.push(Node::Map(node)))
            }
            other => self.primitive(other, namespace),
        }
    }
}

struct Input<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Input<'_> {
    fn take(&mut self, n: usize) -> PyResult<&[u8]> {
        match self.at.checked_add(n) {
            Some(end) if end <= self.bytes.len() => {
                let taken = &self.bytes[self.at..end];
                self.at = end;
                Ok(taken)
            }
            _ => refuse(format!("truncated at byte {}", self.at)),
        }
    }

    fn long(&mut self) -> PyResult<i64> {
        let mut value: u64 = 0;
        for shift in (0..64).step_by(7) {
            let byte = self.take(1)?[0];
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok((value >> 1) as i64 ^ -((value & 1) as i64));
            }
        }
        refuse(format!("a varint longer than 10 bytes at byte {}", self.at))
    }

    fn length(&mut self) -> PyResult<usize> {
        let n = self.long()?;
        usize::try_from(n).or_else(|_| refuse(format!("negative length {n}")))
    }

    /// A string: its length, then UTF-8.
    fn text(&mut self) -> PyResult<&str> {
        let n = self.length()?;
        let at = self.at;
        std::str::from_utf8(self.take(n)?)
            .or_else(|e| refuse(format!("a string at byte {at} is not UTF-8: {e}")))
    }

    /// An array's or map's items, each read by ``item``: blocks of a count (its size in bytes
    /// after a negative count, which a reader of every item needs not), until a count of 0.
    fn items(&mut self, mut item: impl FnMut(&mut Self) -> PyResult<()>) -> PyResult<()> {
        loop {
            let n = self.long()?;
            if n == 0 {
                return Ok(());
            }
            if n < 0 {
                self.long()?;
            }
            for _ in 0..n.unsigned_abs() {
                item(self)?;
            }
        }
    }
}

impl Schema {
    /// Compiles ``spec`` (a parsed Avro schema, named types written out where first used);
    /// ``timestamp`` makes a `timestamp-millis` of its milliseconds, ``millis`` the reverse.
    pub fn new(
        py: Python<'_>,
        spec: &Bound<'_, PyAny>,
        timestamp: Py<PyAny>,
        millis: Py<PyAny>,
    ) -> PyResult<Self> {
        let mut compiler = Compiler {
            py,
            nodes: Vec::new(),
            names: FxHashMap::default(),
        };
        let root = compiler.compile(spec, None)?;
        Ok(Schema {
            nodes: compiler.nodes,
            root,
            timestamp,
            millis,
        })
    }

    /// The value at ``start`` of ``bytes`` and where it ends.
    pub fn read(&self, py: Python<'_>, bytes: &[u8], start: usize) -> PyResult<(Py<PyAny>, usize)> {
        let mut input = Input { bytes, at: start };
        let value = self.value(py, self.root, &mut input)?;
        Ok((value, input.at))
    }

    fn value(&self, py: Python<'_>, node: usize, input: &mut Input) -> PyResult<Py<PyAny>> {
        Ok(match &self.nodes[node] {
            Node::Null => py.None(),
            Node::Boolean => PyBool::new(py, input.take(1)?[0] != 0)
                .to_owned()
                .into_any()
                .unbind(),
            Node::Long => input.long()?.into_pyobject(py)?.into_any().unbind(),
            Node::Float => {
                let raw: [u8; 4] = input.take(4)?.try_into().expect("4 bytes");
                PyFloat::new(py, f64::from(f32::from_le_bytes(raw)))
                    .into_any()
                    .unbind()
            }
            Node::Double => {
                let raw: [u8; 8] = input.take(8)?.try_into().expect("8 bytes");
                PyFloat::new(py, f64::from_le_bytes(raw))
                    .into_any()
                    .unbind()
            }
            Node::Bytes => {
                let n = input.length()?;
                PyBytes::new(py, input.take(n)?).into_any().unbind()
            }
            Node::String => PyString::new(py, input.text()?).into_any().unbind(),
            Node::TimestampMillis => {
                let millis = input.long()?;
                self.timestamp.call1(py, (millis,))?
            }
            Node::Record(fields) => {
                let dict = PyDict::new(py);
                for field in fields {
                    dict.set_item(field.name.bind(py), self.value(py, field.node, input)?)?;
                }
                dict.into_any().unbind()
            }
            Node::Enum(symbols) => {
                let index = input.long()?;
                match usize::try_from(index).ok().and_then(|i| symbols.get(i)) {
                    Some(symbol) => symbol.clone_ref(py).into_any(),
                    None => return refuse(format!("enum index {index} out of range")),
                }
            }
            Node::Fixed(size) => PyBytes::new(py, input.take(*size)?).into_any().unbind(),
            Node::Array(items) => {
                let list = PyList::empty(py);
                input.items(|input| list.append(self.value(py, *items, input)?))?;
                list.into_any().unbind()
            }
            Node::Map(values) => {
                let dict = PyDict::new(py);
                input.items(|input| {
                    let key = PyString::new(py, input.text()?);
                    dict.set_item(key, self.value(py, *values, input)?)
                })?;
                dict.into_any().unbind()
            }
            Node::Union(branches) => {
                let index = input.long()?;
                match usize::try_from(index).ok().and_then(|i| branches.get(i)) {
                    Some(&branch) => self.value(py, branch, input)?,
                    None => return refuse(format!("union branch {index} out of range")),
                }
            }
        })
    }
}

fn long(out: &mut Vec<u8>, value: i64) {
    let mut zigzag = ((value << 1) ^ (value >> 63)) as u64;
    while zigzag >= 0x80 {
        out.push((zigzag as u8) | 0x80);
        zigzag >>= 7;
    }
    out.push(zigzag as u8);
}

fn bytes(out: &mut Vec<u8>, data: &[u8]) {
    long(out, data.len() as i64);
    out.extend_from_slice(data);
}

impl Schema {
    /// ``header`` and ``value`` written with the schema. Given ``previous`` (a message the
    /// previous stage wrote of this record, whose fields are this schema's but the last), its
    /// body is copied and only the root record's last field is written after it.
    pub fn write(
        &self,
        value: &Bound<'_, PyAny>,
        header: &[u8],
        previous: Option<&[u8]>,
    ) -> PyResult<Vec<u8>> {
        let body = previous.map_or(&[][..], |p| p.get(header.len()..).unwrap_or_default());
        let mut out = Vec::with_capacity(header.len() + body.len() + 512);
        out.extend_from_slice(header);
        out.extend_from_slice(body);
        if previous.is_some() {
            let Node::Record(fields) = &self.nodes[self.root] else {
                return refuse("only a record has a last field");
            };
            let last = fields
                .last()
                .ok_or_else(|| PyValueError::new_err("no fields"))?;
            self.field(value, last, &mut out)?;
        } else {
            self.put(value, self.root, &mut out)?;
        }
        Ok(out)
    }

    fn field(&self, record: &Bound<'_, PyAny>, field: &Field, out: &mut Vec<u8>) -> PyResult<()> {
        let py = record.py();
        let Ok(record) = record.cast::<PyDict>() else {
            return Err(PyTypeError::new_err(format!(
                "a record must be a dict, not {}",
                record.get_type().name()?
            )));
        };
        let name = field.name.bind(py);
        let value = match record.get_item(name)? {
            Some(value) => value,
            None => match &field.default {
                Some(default) => default.bind(py).clone(),
                None if matches!(self.nodes[field.node], Node::Union(_)) => {
                    py.None().into_bound(py)
                }
                None => {
                    return refuse(format!("no value and no default for {name}"));
                }
            },
        };
        self.put(&value, field.node, out).map_err(|e| {
            let message = format!("field {name}: {}", e.value(py));
            if e.is_instance_of::<PyTypeError>(py) {
                PyTypeError::new_err(message)
            } else {
                PyValueError::new_err(message)
            }
        })
    }

    fn put(&self, value: &Bound<'_, PyAny>, node: usize, out: &mut Vec<u8>) -> PyResult<()> {
        match &self.nodes[node] {
            Node::Null => {
                if !value.is_none() {
                    return refuse("null expected");
                }
            }
            Node::Boolean => out.push(u8::from(value.is_truthy()?)),
            Node::Long => long(out, value.extract()?),
            Node::Float => out.extend_from_slice(&(value.extract::<f64>()? as f32).to_le_bytes()),
            Node::Double => out.extend_from_slice(&value.extract::<f64>()?.to_le_bytes()),
            Node::Bytes => bytes(out, value.cast::<PyBytes>()?.as_bytes()),
            Node::String => bytes(out, value.cast::<PyString>()?.to_str()?.as_bytes()),
            Node::TimestampMillis => long(
                out,
                self.millis
                    .call1(value.py(), (value,))?
                    .extract(value.py())?,
            ),
            Node::Record(fields) => {
                for field in fields {
                    self.field(value, field, out)?;
                }
            }
            Node::Enum(symbols) => {
                let text = value.cast::<PyString>()?.to_str()?;
                let py = value.py();
                match symbols
                    .iter()
                    .position(|s| s.bind(py).to_str().ok() == Some(text))
                {
                    Some(index) => long(out, index as i64),
                    None => return refuse(format!("{text:?} is not a symbol of the enum")),
                }
            }
            Node::Fixed(size) => {
                let data = value.cast::<PyBytes>()?.as_bytes();
                if data.len() != *size {
                    return refuse(format!("{} bytes where the fixed holds {size}", data.len()));
                }
                out.extend_from_slice(data);
            }
            Node::Array(items) => {
                let count = value.len()?;
                if count > 0 {
                    long(out, count as i64);
                    for item in value.try_iter()? {
                        self.put(&item?, *items, out)?;
                    }
                }
                out.push(0);
            }
            Node::Map(values) => {
                let map = value.cast::<PyDict>()?;
                if !map.is_empty() {
                    long(out, map.len() as i64);
                    for (key, item) in map.iter() {
                        bytes(out, key.cast::<PyString>()?.to_str()?.as_bytes());
                        self.put(&item, *values, out)?;
                    }
                }
                out.push(0);
            }
            Node::Union(branches) => {
                let null_first = matches!(self.nodes[branches[0]], Node::Null);
                let (index, branch) = match (value.is_none(), null_first) {
                    (true, true) => (0, branches[0]),
                    (true, false) => (1, branches[1]),
                    (false, true) => (1, branches[1]),
                    (false, false) => (0, branches[0]),
                };
                long(out, index);
                self.put(value, branch, out)?;
            }
        }
        Ok(())
    }
}
