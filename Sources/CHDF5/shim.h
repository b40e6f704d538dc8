// The HDF5 C API as Swift sees it.
//
// Many HDF5 "constants" are macros Swift cannot import: some expand to
// expressions that call H5open() first (H5T_NATIVE_FLOAT is
// `(H5OPEN H5T_NATIVE_FLOAT_g)`: the global is only valid once the library is
// initialised), others are casts (`(hid_t)0`, `((size_t)(-1))`). Each one gets
// a `static inline` getter named `kio_<MACRO>()` that expands the macro in C,
// so the H5open() call still happens exactly as it would in C code.
#ifndef KERASIO_CHDF5_SHIM_H
#define KERASIO_CHDF5_SHIM_H

#include <hdf5.h>

// MARK: - Default and "all" identifiers

static inline hid_t kio_H5P_DEFAULT(void) { return H5P_DEFAULT; }
static inline hid_t kio_H5S_ALL(void) { return H5S_ALL; }
static inline hid_t kio_H5E_DEFAULT(void) { return H5E_DEFAULT; }
static inline hsize_t kio_H5S_UNLIMITED(void) { return H5S_UNLIMITED; }

// MARK: - File access flags

static inline unsigned kio_H5F_ACC_RDONLY(void) { return H5F_ACC_RDONLY; }
static inline unsigned kio_H5F_ACC_RDWR(void) { return H5F_ACC_RDWR; }
static inline unsigned kio_H5F_ACC_TRUNC(void) { return H5F_ACC_TRUNC; }
static inline unsigned kio_H5F_ACC_EXCL(void) { return H5F_ACC_EXCL; }

// MARK: - Property list classes

static inline hid_t kio_H5P_FILE_ACCESS(void) { return H5P_FILE_ACCESS; }
static inline hid_t kio_H5P_DATASET_CREATE(void) { return H5P_DATASET_CREATE; }
static inline hid_t kio_H5P_GROUP_CREATE(void) { return H5P_GROUP_CREATE; }
static inline hid_t kio_H5P_ATTRIBUTE_CREATE(void) { return H5P_ATTRIBUTE_CREATE; }
static inline hid_t kio_H5P_LINK_CREATE(void) { return H5P_LINK_CREATE; }

// MARK: - Data types

static inline hid_t kio_H5T_NATIVE_FLOAT(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t kio_H5T_NATIVE_DOUBLE(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t kio_H5T_NATIVE_INT(void) { return H5T_NATIVE_INT; }
static inline hid_t kio_H5T_NATIVE_LLONG(void) { return H5T_NATIVE_LLONG; }
static inline hid_t kio_H5T_NATIVE_UCHAR(void) { return H5T_NATIVE_UCHAR; }
static inline hid_t kio_H5T_C_S1(void) { return H5T_C_S1; }
static inline hid_t kio_H5T_IEEE_F32LE(void) { return H5T_IEEE_F32LE; }
static inline hid_t kio_H5T_IEEE_F64LE(void) { return H5T_IEEE_F64LE; }
static inline hid_t kio_H5T_STD_I32LE(void) { return H5T_STD_I32LE; }
static inline hid_t kio_H5T_STD_I64LE(void) { return H5T_STD_I64LE; }

/// The size that marks a string type as variable-length.
static inline size_t kio_H5T_VARIABLE(void) { return H5T_VARIABLE; }

// MARK: - Raw access, for checks made before libhdf5 parses a structure

/// Where an open file's bytes are: a descriptor (sec2 driver, files on
/// disk) or a memory image (core driver, files read from a .keras
/// archive), with the file's size and its address and length widths.
typedef struct {
    int fd;                        // >= 0 for a file on disk
    const unsigned char *memory;   // non-NULL for an in-memory image
    unsigned long long size;
    unsigned sizeof_addr;
    unsigned sizeof_size;
} kio_raw_file;

/// Fills `out` for the file holding `object_id`; returns 0, or -1 if the
/// file uses a driver other than sec2 or core.
static inline int kio_raw_file_of(hid_t object_id, kio_raw_file *out) {
    out->fd = -1;
    out->memory = NULL;
    hid_t file_id = H5Iget_file_id(object_id);
    if (file_id < 0) return -1;
    int result = -1;
    hid_t access = H5Fget_access_plist(file_id);
    hid_t create = H5Fget_create_plist(file_id);
    hsize_t size = 0;
    size_t sizeof_addr = 0, sizeof_size = 0;
    void *handle = NULL;
    if (access >= 0 && create >= 0 && H5Fget_filesize(file_id, &size) >= 0
        && H5Pget_sizes(create, &sizeof_addr, &sizeof_size) >= 0
        && H5Fget_vfd_handle(file_id, access, &handle) >= 0 && handle != NULL) {
        hid_t driver = H5Pget_driver(access);
        out->size = size;
        out->sizeof_addr = (unsigned)sizeof_addr;
        out->sizeof_size = (unsigned)sizeof_size;
        if (driver == H5FD_SEC2) {
            out->fd = *(int *)handle;
            result = 0;
        } else if (driver == H5FD_CORE) {
            out->memory = *(const unsigned char **)handle;
            result = out->memory ? 0 : -1;
        }
    }
    if (access >= 0) H5Pclose(access);
    if (create >= 0) H5Pclose(create);
    H5Fclose(file_id);
    return result;
}

/// The address of the object header of `object_id`; returns 0 or -1.
static inline int kio_object_address(hid_t object_id, unsigned long long *address) {
#if H5_VERSION_GE(1, 12, 0)
    H5O_info2_t info;
    if (H5Oget_info3(object_id, &info, H5O_INFO_BASIC) < 0) return -1;
    haddr_t value;
    if (H5VLnative_token_to_addr(object_id, info.token, &value) < 0) return -1;
    *address = value;
#else
    H5O_info_t info;
    if (H5Oget_info2(object_id, &info, H5O_INFO_BASIC) < 0) return -1;
    *address = info.addr;
#endif
    return 0;
}

/// The kind of the link `name` in `group_id`: 0 hard, 1 soft, 64 external
/// (H5L_type_t), or -1 if it cannot be read.
static inline int kio_link_type(hid_t group_id, const char *name) {
#if H5_VERSION_GE(1, 12, 0)
    H5L_info2_t info;
#else
    H5L_info_t info;
#endif
    if (H5Lget_info(group_id, name, &info, H5P_DEFAULT) < 0) return -1;
    return (int)info.type;
}

#endif // KERASIO_CHDF5_SHIM_H
