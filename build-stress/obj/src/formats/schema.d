build-stress/obj/src/formats/schema.o: src/formats/schema.c \
 src/formats/schema_int.h include/macext/profile.h include/macext/err.h \
 include/macext/core.h
src/formats/schema_int.h:
include/macext/profile.h:
include/macext/err.h:
include/macext/core.h:
