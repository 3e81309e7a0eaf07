package io.sluice.maps;

import java.lang.foreign.StructLayout;

/**
 * The codec of one C struct of the data path. Each implementation mirrors one struct of
 * {@code bpf-progs/src/main/bpf/include/*_types.h} field by field, explicit padding included;
 * {@code LayoutBtfTest} proves the sizes and offsets equal the compiled object's BTF.
 *
 * @param <T> the record the struct is decoded into
 */
public interface StructCodec<T> extends Codec<T> {

    /** The C struct's name, as in the object's BTF (e.g. {@code lb4_key}). */
    String cName();

    /** The layout, with byte order in the fields (network-order fields are big endian). */
    @Override
    StructLayout layout();
}
