build-stress/obj/src/formats/plist.o: src/formats/plist.c \
 include/macext/plist_util.h include/macext/err.h include/macext/rd.h
include/macext/plist_util.h:
include/macext/err.h:
include/macext/rd.h:
