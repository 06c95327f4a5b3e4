//! Bounds-checked integer reads from byte slices, shared by every binary parser (PE, Mach-O,
//! registry hives, rpm databases, firmware images, microcode). Each read returns `None` when
//! the value does not fit inside the slice, including when the offset arithmetic overflows, so
//! no parser indexes past its input or panics on a hostile offset.

macro_rules! reader {
    ($(#[$doc:meta] $name:ident, $ty:ty, $from:ident;)*) => {
        $(
            #[$doc]
            pub fn $name(b: &[u8], at: usize) -> Option<$ty> {
                const N: usize = std::mem::size_of::<$ty>();
                let s = b.get(at..at.checked_add(N)?)?;
                Some(<$ty>::$from(s.try_into().ok()?))
            }
        )*
    };
}

reader! {
    /// Little-endian `u16` at `at`.
    u16le, u16, from_le_bytes;
    /// Little-endian `u32` at `at`.
    u32le, u32, from_le_bytes;
    /// Little-endian `u64` at `at`.
    u64le, u64, from_le_bytes;
    /// Big-endian `u16` at `at`.
    u16be, u16, from_be_bytes;
    /// Big-endian `u32` at `at`.
    u32be, u32, from_be_bytes;
    /// Big-endian `u64` at `at`.
    u64be, u64, from_be_bytes;
}

/// `len` bytes at `at`, when they lie inside `b`.
pub fn slice(b: &[u8], at: usize, len: usize) -> Option<&[u8]> {
    b.get(at..at.checked_add(len)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_inside_and_refuses_outside() {
        let b = [1u8, 2, 3, 4, 5, 6, 7, 8];
        assert_eq!(u16le(&b, 0), Some(0x0201));
        assert_eq!(u32be(&b, 4), Some(0x0506_0708));
        assert_eq!(u64le(&b, 0), Some(0x0807_0605_0403_0201));
        assert_eq!(u32le(&b, 5), None);
        assert_eq!(u16be(&b, usize::MAX), None);
        assert_eq!(slice(&b, 6, 2), Some(&b[6..]));
        assert_eq!(slice(&b, 7, usize::MAX), None);
    }
}
