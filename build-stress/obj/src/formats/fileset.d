build-stress/obj/src/formats/fileset.o: src/formats/fileset.c \
 include/macext/cs_blobs.h include/macext/fileset.h include/macext/err.h \
 include/macext/plist_util.h include/macext/rd.h
include/macext/cs_blobs.h:
include/macext/fileset.h:
include/macext/err.h:
include/macext/plist_util.h:
include/macext/rd.h:
