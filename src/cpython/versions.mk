# The generated per-version sources (tools/gen_layout.py; do not edit).
libpytop_a_SOURCES += \
	src/cpython/layout_3_6.c \
	src/cpython/layout_3_7.c \
	src/cpython/layout_3_8.c \
	src/cpython/layout_3_9.c \
	src/cpython/layout_3_10.c \
	src/cpython/layout_3_11.c \
	src/cpython/layout_3_12.c \
	src/cpython/layout_3_13.c \
	src/cpython/layout_3_14.c \
	src/cpython/layout_3_15.c \
	src/cpython/debug_schema_3_13.c \
	src/cpython/debug_schema_3_14.c \
	src/cpython/debug_schema_3_15.c \
	src/cpython/versions.c \
	src/cpython/versions.h
