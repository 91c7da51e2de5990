build-stress/obj/src/tools/cmd_forge.o: src/tools/cmd_forge.c \
 include/macext/cs_blobs.h include/macext/plist_util.h \
 include/macext/err.h src/tools/forge_int.h include/macext/forge.h \
 include/macext/rd.h src/tools/tools.h include/macext/core.h \
 include/macext/store.h
include/macext/cs_blobs.h:
include/macext/plist_util.h:
include/macext/err.h:
src/tools/forge_int.h:
include/macext/forge.h:
include/macext/rd.h:
src/tools/tools.h:
include/macext/core.h:
include/macext/store.h:
