build-stress/obj/src/formats/bundle.o: src/formats/bundle.c \
 include/macext/bundle.h include/macext/err.h include/macext/codesign.h \
 include/macext/plist_util.h
include/macext/bundle.h:
include/macext/err.h:
include/macext/codesign.h:
include/macext/plist_util.h:
